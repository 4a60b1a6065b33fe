/**
 * What the page stream tells the world. The machine, the progress display and the report
 * all count these same events, so their numbers agree.
 */
export type StreamEvent =
  /** A page was fetched, validated and staged (its checkpoint committed). */
  | {
      readonly type: 'page.staged';
      readonly page: number;
      readonly records: number;
      readonly attempts: number;
      readonly latencyMs: number;
      /** Total pages when the pagination knows it (page 1's metadata), else undefined. */
      readonly totalPages: number | undefined;
    }
  /** An attempt failed transiently and the page was requeued. */
  | {
      readonly type: 'page.retry';
      readonly page: number;
      readonly attempt: number;
      /** HTTP status, or undefined for a network error / timeout / bad body. */
      readonly status: number | undefined;
      readonly reason: string;
      readonly waitMs: number;
    }
  /**
   * The whole run pauses for `waitMs`: the server answered 429 (`cause` absent or
   * `'rateLimit'`), or it is down and asked us to come back later (`'outage'`: a 503 with
   * `Retry-After` while most recent attempts fail).
   */
  | {
      readonly type: 'rateLimit.hit';
      readonly page: number;
      readonly waitMs: number;
      readonly ratePerSecond: number;
      readonly cause?: 'rateLimit' | 'outage';
    }
  /** The run-wide pause is over. */
  | { readonly type: 'rateLimit.resumed' }
  /** A 401 (or expiry ahead) made the stream fetch a new token. */
  | { readonly type: 'token.refreshing' }
  | { readonly type: 'token.refreshed' }
  /** A pagination anomaly that did not stop the run but must be reported. */
  | { readonly type: 'paging.anomaly'; readonly page: number; readonly message: string }
  /** Every page is staged. */
  | { readonly type: 'stream.completed'; readonly pages: number; readonly records: number };
