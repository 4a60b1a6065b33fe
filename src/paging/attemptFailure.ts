import { IngestError } from '../errors.js';
import type { SentAuth } from './authGate.js';
import type { AttemptResponse } from '../http/fetchWithDeadline.js';

// Internal control flow, not exported: the page stream turns it into RetryLimitError/RateLimitError/AuthError.
/** A transient, declined or unauthorized attempt: decided on in the retry's `delay`. */
export class AttemptFailure extends IngestError {
  override name = 'AttemptFailure';
  constructor(
    readonly kind: 'transient' | 'rateLimited' | 'unauthorized',
    /** The counter key: the status, or `timeout` / `network` / `badBody`. */
    readonly key: string,
    readonly status: number | undefined,
    readonly reason: string,
    readonly retryAfterMs: number | undefined,
    readonly sent: SentAuth | undefined,
  ) {
    super(reason);
  }
}

// Internal control flow, not exported: caught in the page stream; the run then fails with a TimeoutError.
/** The run's deadline passed: pages not yet dispatched end quietly, the run then fails. */
export class StopDispatch extends IngestError {
  override name = 'StopDispatch';
}

/** A short reason from an error body (`{"error": "internal"}`), without echoing large bodies. */
export function errorReason(response: AttemptResponse): string {
  try {
    const body: unknown = JSON.parse(response.body);
    if (body !== null && typeof body === 'object' && 'error' in body && typeof body.error === 'string') return body.error.slice(0, 80);
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${response.status}`;
}
