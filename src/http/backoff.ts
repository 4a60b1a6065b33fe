import type { Random } from '../runtime/random.js';

/** Exponential backoff with full jitter: `U(0, min(capMs, baseMs × factor^(attempt−1)))`. */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
}

/** docs/pacing.md: `U(0, min(20 s, 0.25 s × 2^(n−1)))`. */
export const defaultBackoffPolicy: BackoffPolicy = { baseMs: 250, factor: 2, capMs: 20_000 };

/** The ceiling of the jitter window for the `attempt`-th retry (1-based). */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(attempt));
  // Computed in log space so that large attempt numbers do not overflow to Infinity × 0.
  const exp = Math.log(policy.baseMs) + (n - 1) * Math.log(policy.factor);
  return exp >= Math.log(policy.capMs) ? policy.capMs : Math.min(policy.capMs, policy.baseMs * policy.factor ** (n - 1));
}

/** A pure function of (attempt, policy, random): the wait before the `attempt`-th retry, in ms. */
export function fullJitterBackoff(attempt: number, policy: BackoffPolicy, random: Random): number {
  return random() * backoffCeiling(attempt, policy);
}
