import { createSimulatorState, handleRequest, type SimulatorState } from './handleRequest.js';
import type { SimRequest, SimResponse } from './simResponse.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './simulatorOptions.js';
import type { SimulatorStats } from './simulatorStats.js';

/** The pure core bound to its options and state: what both adapters drive. */
export interface SimulatorCore {
  readonly options: ResolvedSimulatorOptions;
  /** The response to `req` at clock time `now` (ms). */
  handle(req: SimRequest, now: number): SimResponse;
  /** A snapshot of the counters. */
  stats(): SimulatorStats;
}

/** Validates `options` (throws `ConfigError`) and starts the core's clock of outages at `startedAt`. */
export function createSimulatorCore(options: SimulatorOptions, startedAt: number): SimulatorCore {
  const resolved = resolveSimulatorOptions(options);
  const state: SimulatorState = createSimulatorState(startedAt);
  return {
    options: resolved,
    handle: (req, now) => handleRequest(resolved, state, req, now),
    stats: () => structuredClone(state.stats),
  };
}
