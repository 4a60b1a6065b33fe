/** What a page stream measures beside its events: levels, not counts (counts come from the events). */
export interface StreamGauges {
  /** Time the run spent paused by 429s (and outage pauses), ms. */
  readonly pauseMs: number;
  /** The most slots (requests in flight + fetched pages awaiting staging) held at once. */
  readonly peakInFlight: number;
  /** The limiter's rate at the end, req/s. */
  readonly ratePerSecond: number;
}

export const noGauges: StreamGauges = { pauseMs: 0, peakInFlight: 0, ratePerSecond: 0 };
