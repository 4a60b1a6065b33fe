/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, relative to `nowMs`
 * (the injected clock). Returns the wait in ms (0 for a date in the past), or undefined for
 * a missing or unparsable value.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names a weekday and a GMT zone; refuse anything looser (`Date.parse` is lenient).
  if (!/^[A-Za-z]{3},? .*\bGMT$/.test(text) && !/^[A-Za-z]{3} [A-Za-z]{3} +\d/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Parses the IETF draft `RateLimit-Reset` header: delta-seconds until the quota resets.
 * Returns ms, or undefined when absent or invalid.
 */
export function parseRateLimitReset(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text) * 1000;
}
