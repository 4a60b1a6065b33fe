/** One client's token bucket: `tokens` as of `at` (ms). */
export interface TokenBucket {
  tokens: number;
  at: number;
}

/** The outcome of asking a bucket for one request's token. */
export interface BucketDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until the bucket is full again (allowed) or holds one token (refused). */
  readonly resetSeconds: number;
}

/**
 * Refills `bucket` to `now` at `ratePerSecond` (capacity `burst`) and takes one token if
 * there is one. Mutates the bucket; refusals take nothing, so a client that backs off recovers.
 */
export function takeToken(bucket: TokenBucket, now: number, ratePerSecond: number, burst: number): BucketDecision {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  bucket.tokens = Math.min(burst, bucket.tokens + elapsed * ratePerSecond);
  bucket.at = Math.max(bucket.at, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens), resetSeconds: Math.ceil((burst - bucket.tokens) / ratePerSecond) };
  }
  return { allowed: false, remaining: 0, resetSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
}
