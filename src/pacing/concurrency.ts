/** The hard ceiling of requests in flight, whatever the rate and latency. */
export const maxInFlightCap = 64;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Little's law guard: enough requests in flight to sustain `ratePerSecond` at `p99Ms`
 * latency with 50% headroom, plus two: `clamp(ceil(r × p99 × 1.5) + 2, 2, cap)`.
 */
export function maxInFlight(ratePerSecond: number, p99Ms: number, cap = maxInFlightCap): number {
  return clamp(Math.ceil(ratePerSecond * (p99Ms / 1000) * 1.5) + 2, 2, Math.max(2, cap));
}

/** Samples needed before the attempt timeout follows the measured p99. */
export const timeoutWarmupSamples = 50;

/** Per-attempt timeout: `clamp(2 × p99, 5 s, 60 s)`, or 10 s until 50 samples are in. */
export function attemptTimeoutMs(p99Ms: number | undefined, samples: number): number {
  if (p99Ms === undefined || samples < timeoutWarmupSamples) return 10_000;
  return clamp(2 * p99Ms, 5_000, 60_000);
}
