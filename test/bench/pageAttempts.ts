import type { FaultKind, SimulatorStats } from '../../src/simulator/index.js';

/** Faults the server draws at random that spend a page attempt (a trickle outlasts or strains the attempt's deadline). */
export const spendingFaults: readonly FaultKind[] = [
  'internal_error',
  'bad_gateway',
  'unavailable',
  'reset',
  'truncated',
  'wrong_content',
  'trickle',
  'slow',
];

export interface PageAttempts {
  /** Every request to /customers. */
  readonly total: number;
  /** Those answered 429. */
  readonly rateLimited: number;
  /** Those that spent rate-limit quota (not 429, not in an outage). */
  readonly accepted: number;
  /** Those the server failed on purpose. */
  readonly faulted: number;
  /** The injected fault rate f = faulted / accepted: the share of quota a perfect client still loses. */
  readonly f: number;
}

/**
 * Page attempts from the server's own counters. Assumes faults on login are off (as in the
 * speed scenarios): the simulator counts faults per kind, not per endpoint.
 */
export function pageAttempts(stats: SimulatorStats): PageAttempts {
  const byStatus = stats.byEndpoint.customers;
  const total = Object.values(byStatus).reduce((n, c) => n + c, 0);
  const rateLimited = byStatus['429'] ?? 0;
  // Outage answers come before the rate limiter: they spend no quota.
  const accepted = total - rateLimited - stats.faults.outage;
  const faulted = spendingFaults.reduce((n, kind) => n + stats.faults[kind], 0);
  return { total, rateLimited, accepted, faulted, f: accepted === 0 ? 0 : faulted / accepted };
}
