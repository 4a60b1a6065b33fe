/** A server's advertised quota: `quota` requests per `windowSeconds`. */
export interface RateLimitPolicy {
  readonly quota: number;
  readonly windowSeconds: number;
}

/**
 * Parses the first policy of an IETF `RateLimit-Policy` header, in the structured form
 * (`"default";q=10;w=1`) or the older one (`10;w=1`). Undefined when absent or invalid.
 */
export function parseRateLimitPolicy(value: string | null | undefined): RateLimitPolicy | undefined {
  if (value === null || value === undefined) return undefined;
  const first = value.split(',')[0]?.trim() ?? '';
  const parts = first.split(';').map((p) => p.trim());
  let quota: number | undefined;
  let windowSeconds: number | undefined;
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0 && /^\d+(\.\d+)?$/.test(part)) quota = Number(part);
      continue;
    }
    const key = part.slice(0, eq).trim().toLowerCase();
    const raw = part.slice(eq + 1).trim();
    if (!/^\d+(\.\d+)?$/.test(raw)) continue;
    if (key === 'q') quota = Number(raw);
    else if (key === 'w') windowSeconds = Number(raw);
  }
  if (quota === undefined || quota <= 0) return undefined;
  windowSeconds ??= 1;
  if (windowSeconds <= 0) return undefined;
  return { quota, windowSeconds };
}
