import type { StagingTime } from '../staging/stagingTypes.js';

/**
 * What the page stream tells the world: every fact a run's figures are made of. The run counts
 * them once (`countEvent` in src/run), and the machine, the progress display and the report
 * read that one record.
 */
export type StreamEvent =
  /** A request is about to be sent: the run's request total counts these. */
  | { readonly type: 'request.sent'; readonly page: number }
  /**
   * A request got its answer (`outcome`: the HTTP status), failed without one (`timeout`,
   * `network`), or was given up because its copy answered first (`superseded`, see
   * hedgedRequest); a request cut off by the run's own end has none.
   */
  | { readonly type: 'request.done'; readonly page: number; readonly outcome: string; readonly bytes: number }
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
  /**
   * Pages were committed in one transaction (their `page.staged` events follow): what parsing
   * them and staging them took, ms on the run's clock (staging's own figures when `stage` gives them, else 0).
   */
  | ({ readonly type: 'pages.committed'; readonly pages: number; readonly parseMs: number } & StagingTime)
  /** An attempt failed transiently and the page was requeued. */
  | {
      readonly type: 'page.retry';
      readonly page: number;
      readonly attempt: number;
      /** HTTP status, or undefined for a network error / timeout. */
      readonly status: number | undefined;
      /** What failed: the status, or `timeout`, `network`, `badBody`. */
      readonly outcome: string;
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
  /**
   * A login after the first is under way / has brought a new token: from the provider's own
   * events when it has them (`AuthProvider.subscribe`), else noticed when its header changes.
   */
  | { readonly type: 'token.refreshing' }
  | { readonly type: 'token.refreshed' }
  /** A pagination anomaly that did not stop the run but must be reported. */
  | { readonly type: 'paging.anomaly'; readonly page: number; readonly message: string }
  /** Every page is staged. */
  | { readonly type: 'stream.completed'; readonly pages: number; readonly records: number };
