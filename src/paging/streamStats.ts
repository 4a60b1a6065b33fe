/** Run counters of a page stream, readable at the end (and during) for the report. */
export interface StreamStats {
  /** Attempts sent. */
  requests: number;
  /** Attempts by outcome: the HTTP status, or `timeout` / `network`. */
  requestsByStatus: Record<string, number>;
  /** Transient failures retried (429 and 401 are not retries: the server declined or asked for a token). */
  retries: number;
  retriesByStatus: Record<string, number>;
  /** 429 answers. */
  rateLimited: number;
  /** Time the run spent paused by 429s (and outage pauses), ms. */
  pauseMs: number;
  /** Tokens obtained after the first. */
  refreshes: number;
  /** Response body bytes received. */
  bytes: number;
  pagesStaged: number;
  recordsStaged: number;
  anomalies: number;
  /** The most slots (requests in flight + fetched pages awaiting staging) held at once. */
  peakInFlight: number;
  /** The limiter's rate at the end, req/s. */
  ratePerSecond: number;
}

export function emptyStreamStats(): StreamStats {
  return {
    requests: 0,
    requestsByStatus: {},
    retries: 0,
    retriesByStatus: {},
    rateLimited: 0,
    pauseMs: 0,
    refreshes: 0,
    bytes: 0,
    pagesStaged: 0,
    recordsStaged: 0,
    anomalies: 0,
    peakInFlight: 0,
    ratePerSecond: 0,
  };
}

export function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
