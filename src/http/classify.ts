/**
 * What to do with an attempt's outcome, decided before any retry.
 * - `ok`: a 2xx whose body parsed as expected.
 * - `transient`: worth another attempt after a backoff (network, timeout, 408/425/5xx, bad body).
 * - `rateLimited`: the server declined (429); the run pauses, the page is requeued, no failure counted.
 * - `unauthorized`: 401; invalidate the token and resend once.
 * - `permanent`: any other status; the run fails.
 */
export type Verdict = 'ok' | 'transient' | 'rateLimited' | 'unauthorized' | 'permanent';

const transientStatuses = new Set([408, 425, 500, 502, 503, 504]);

/** Classifies an HTTP status (the body is checked separately: a 2xx with a bad body is transient). */
export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 429) return 'rateLimited';
  if (status === 401) return 'unauthorized';
  if (transientStatuses.has(status)) return 'transient';
  return 'permanent';
}
