import type { SimulatorOptions } from '../../src/simulator/index.js';

/** A rate-limited scenario of the stream benches (real HTTP and virtual time alike). */
export interface PacedScenario {
  readonly profile: 'flaky' | 'hostile';
  readonly rate: number;
  readonly headers: boolean;
}

export const pacedScenarios: readonly PacedScenario[] = [
  { profile: 'flaky', rate: 10, headers: true },
  { profile: 'flaky', rate: 10, headers: false },
  { profile: 'hostile', rate: 4, headers: true },
  { profile: 'hostile', rate: 4, headers: false },
];

export const pacedName = (s: PacedScenario): string => `${s.profile} R=${s.rate} headers ${s.headers ? 'on' : 'off'}`;

/** Issue #3's targets: with the limit advertised by headers, or discovered from 429s alone. */
export const pacedTargets = (s: Pick<PacedScenario, 'headers'>): { readonly minRatio: number; readonly max429: number } =>
  s.headers ? { minRatio: 0.95, max429: 0.01 } : { minRatio: 0.9, max429: 0.02 };

/**
 * The simulator of a paced scenario: the profile's own fault rates, its limit R with a burst of
 * R, no outage, no faults on login, and records for twice what `seconds` at R can fetch.
 */
export const pacedSimulator = (s: PacedScenario, seed: number, seconds: number, pageSize: number): SimulatorOptions => ({
  profile: s.profile,
  seed,
  faultsOnLogin: false,
  records: Math.ceil(s.rate * seconds * 2) * pageSize,
  rateLimit: s.rate,
  rateLimitBurst: s.rate,
  rateLimitHeaders: s.headers,
  outages: [],
});
