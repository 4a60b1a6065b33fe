import { IngestError, errorGuard, type ErrorGuard } from '../errors.js';

/** One failed attempt, for the error that ends a run: its status (if any) and why. */
export interface AttemptFailureNote {
  readonly page: number;
  readonly attempt: number;
  readonly status: number | undefined;
  readonly reason: string;
}

/** A bound on retries was reached (attempts per page, retry share); lists the last failures. */
export class RetryLimitError extends IngestError {
  override name = 'RetryLimitError';
  constructor(
    message: string,
    readonly failures: readonly AttemptFailureNote[],
    options?: ErrorOptions,
  ) {
    super(`${message}; last failures: ${describeFailures(failures)}`, options);
  }
}
export const isRetryLimitError: ErrorGuard<RetryLimitError> = errorGuard(RetryLimitError, 'RetryLimitError');

/** `page 3 attempt 2: 503 unavailable; page 3 attempt 3: timeout ...` (the last few). */
export function describeFailures(failures: readonly AttemptFailureNote[], last = 8): string {
  if (failures.length === 0) return 'none';
  return failures
    .slice(-last)
    .map((f) => `page ${f.page} attempt ${f.attempt}: ${f.status === undefined ? '' : `${f.status} `}${f.reason}`)
    .join('; ');
}
