import type { Clock } from '../runtime/clock.js';
import { LatencyTracker } from './latencyTracker.js';
import { RateLimiter, type RateLimiterOptions } from './rateLimiter.js';

/**
 * The pace of one API origin: its rate limiter and the latencies it learns from. The page streams
 * of every resource on the origin share one, so that together they keep to the API's one limit.
 */
export interface Pacer {
  readonly limiter: RateLimiter;
  readonly latency: LatencyTracker;
}

export function createPacer(clock: Clock, options: RateLimiterOptions): Pacer {
  const latency = new LatencyTracker();
  return { latency, limiter: new RateLimiter(clock, latency, options) };
}
