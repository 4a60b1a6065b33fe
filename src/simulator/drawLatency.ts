import type { Random } from '../runtime/random.js';
import type { LatencyDistribution } from './simulatorOptions.js';

/** One delay in whole ms from `distribution` (lognormal: median × e^(σ·z), z by Box–Muller). */
export function drawLatency(distribution: LatencyDistribution, r: Random): number {
  switch (distribution.kind) {
    case 'none':
      return 0;
    case 'fixed':
      return distribution.ms;
    case 'uniform':
      return distribution.minMs + Math.floor(r() * (distribution.maxMs - distribution.minMs + 1));
    case 'lognormal': {
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
      return Math.round(distribution.medianMs * Math.exp(distribution.sigma * z));
    }
  }
}
