import { seededRandom, type Random } from '../../src/runtime/random.js';
import type { OutageWindow, SimulatorOptions } from '../../src/simulator/index.js';

/** The campaign's profiles: the simulator profile each seed's fault schedule is drawn around. */
export const simProfiles = ['calm', 'flaky', 'hostile'] as const;
export type SimProfile = (typeof simProfiles)[number];

/** ELT formats whose records DuckDB reads back with their JSON types. */
export const simFormats = ['ndjson', 'parquet', 'json'] as const;
export type SimFormat = (typeof simFormats)[number];

/** One seed's world: the simulator's knobs and the run's options, all drawn from the seed. */
export interface Scenario {
  readonly seed: number;
  readonly profile: SimProfile;
  readonly simulator: SimulatorOptions & { readonly seed: number; readonly records: number };
  readonly pageSize: number;
  readonly format: SimFormat;
  /** One seed in four runs ETL (`clean`): from the seed alone, so the other draws stay as they were. */
  readonly transform: 'none' | 'clean';
  readonly maxAttemptsPerPage: number;
  /** A hostile seed whose 5xx rate is high enough that a clear failure is likely. */
  readonly storm: boolean;
}

/** The exact command that replays one seed. */
export const replayCommand = (seed: number, profile: SimProfile): string => `npm run sim -- --seeds 1 --seed ${seed} --profile ${profile}`;

/** The profile of seed `seed` when the campaign rotates through all three. */
export const rotatingProfile = (seed: number): SimProfile => simProfiles[seed % simProfiles.length]!;

const between = (r: Random, min: number, max: number): number => min + (max - min) * r();
const intBetween = (r: Random, min: number, max: number): number => Math.floor(between(r, min, max + 1));
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Page sizes around the awkward cases: odd sizes, powers of two, sizes that split the data unevenly. */
const pageSizes = [20, 25, 37, 50, 64, 73, 100, 128, 199, 250, 500] as const;

/**
 * Records: mostly a few hundred (a seed must take well under a second), sometimes up to
 * 3000, and now and then the edges: an empty data set, one record, one short of a page.
 */
function drawRecords(r: Random, pageSize: number): number {
  const edge = r();
  if (edge < 0.01) return 0;
  if (edge < 0.02) return 1;
  if (edge < 0.04) return pageSize * intBetween(r, 1, 4) + pick(r, [-1, 0, 1]);
  return 200 + Math.floor(2800 * r() ** 6);
}

/** Up to two outage windows within the first minute of virtual time. */
function drawOutages(r: Random): OutageWindow[] {
  const windows: OutageWindow[] = [];
  let start = 0;
  for (let i = intBetween(r, 0, 2); i > 0; i--) {
    start += intBetween(r, 500, 20_000);
    const end = start + intBetween(r, 500, 45_000);
    windows.push({ startMs: start, endMs: end });
    start = end;
  }
  return windows;
}

/**
 * One seed in four: `/login` tells the client its token lives 2-6 times longer than it does, so
 * that expiry is found by a 401 (refresh, resend) rather than refreshed ahead. Drawn last, so
 * the other draws of a seed do not depend on it.
 */
function revokedEarly(r: Random, lifetimeSeconds: number): { advertisedLifetimeSeconds?: number } {
  return r() < 0.25 ? { advertisedLifetimeSeconds: lifetimeSeconds * intBetween(r, 2, 6) } : {};
}

/**
 * Draws seed `seed`'s scenario for `profile` from a PRNG seeded by the campaign seed alone:
 * the same seed and profile always give the same world. `calm` has no faults (the happy
 * path, counted exactly); `flaky` varies the brief's faults (5xx, 429, token expiry, latency);
 * `hostile` varies every fault the simulator has, and one seed in ten is a 5xx storm.
 */
export function drawScenario(seed: number, profile: SimProfile): Scenario {
  // A stream apart from the simulator's and the client's (both also seeded by `seed`).
  const r = seededRandom((seed ^ 0x5eed5eed) >>> 0);
  const pageSize = pick(r, pageSizes);
  const records = drawRecords(r, pageSize);
  const format = pick(r, simFormats);
  const transform = seed % 4 === 0 ? 'clean' : 'none';
  const base = { profile, seed, records } as const;
  if (profile === 'calm') return { seed, profile, simulator: base, pageSize, format, transform, maxAttemptsPerPage: 8, storm: false };

  if (profile === 'flaky') {
    const minMs = intBetween(r, 0, 50);
    const simulator: Scenario['simulator'] = {
      ...base,
      serverErrorRate: round3(between(r, 0, 0.15)),
      badGatewayShare: round3(r()),
      unavailableRate: round3(between(r, 0, 0.15)),
      unavailableRetryAfterRate: round3(r()),
      unavailableRetryAfterMaxSeconds: intBetween(r, 1, 5),
      rateLimit: intBetween(r, 3, 20),
      rateLimitBurst: intBetween(r, 1, 10),
      retryAfterDateRate: round3(r()),
      tokenLifetimeSeconds: intBetween(r, 10, 120),
      latency: { kind: 'uniform', minMs, maxMs: minMs + intBetween(r, 0, 350) },
      duplicateRate: round3(between(r, 0, 0.03)),
    };
    return {
      seed,
      profile,
      simulator: { ...simulator, ...revokedEarly(r, simulator.tokenLifetimeSeconds!) },
      pageSize,
      format,
      transform,
      maxAttemptsPerPage: 8,
      storm: false,
    };
  }

  const storm = r() < 0.1;
  // Status faults first, then body faults; their sum stays below 1 (the simulator checks it).
  const serverErrorRate = round3(storm ? between(r, 0.3, 0.6) : between(r, 0, 0.1));
  const unavailableRate = round3(between(r, 0, 0.1));
  const simulator: Scenario['simulator'] = {
    ...base,
    serverErrorRate,
    badGatewayShare: round3(r()),
    unavailableRate,
    unavailableRetryAfterRate: round3(r()),
    unavailableRetryAfterMaxSeconds: intBetween(r, 1, 10),
    resetRate: round3(between(r, 0, 0.05)),
    truncateRate: round3(between(r, 0, 0.05)),
    wrongContentRate: round3(between(r, 0, 0.05)),
    trickleRate: round3(between(r, 0, 0.08)),
    trickleChunks: intBetween(r, 2, 12),
    trickleIntervalMs: intBetween(r, 50, 3000),
    slowRate: round3(between(r, 0, 0.03)),
    slowMs: intBetween(r, 2000, 90_000),
    outages: drawOutages(r),
    faultsOnLogin: r() < 0.7,
    rateLimit: intBetween(r, 1, 8),
    rateLimitBurst: intBetween(r, 1, 5),
    rateLimitHeaders: r() < 0.6,
    rateLimitPolicyHeader: r() < 0.3,
    retryAfterDateRate: round3(r()),
    tokenLifetimeSeconds: intBetween(r, 2, 20),
    latency: { kind: 'lognormal', medianMs: intBetween(r, 10, 200), sigma: round3(between(r, 0.2, 1.2)) },
    dirtyRate: round3(between(r, 0, 0.3)),
    duplicateRate: round3(between(r, 0, 0.1)),
  };
  const maxAttemptsPerPage = intBetween(r, storm ? 2 : 4, 8);
  return {
    seed,
    profile,
    simulator: { ...simulator, ...revokedEarly(r, simulator.tokenLifetimeSeconds!) },
    pageSize,
    format,
    transform,
    maxAttemptsPerPage,
    storm,
  };
}

/**
 * The same data with every fault off: for the rerun after a clear failure. Only `seed`,
 * `records`, `dirtyRate` and `duplicateRate` decide the data (docs/simulator.md), so they are kept.
 */
export function faultsOff(scenario: Scenario): SimulatorOptions {
  const { seed, records, dirtyRate, duplicateRate } = scenario.simulator;
  return {
    profile: 'calm',
    seed,
    records,
    ...(dirtyRate !== undefined ? { dirtyRate } : {}),
    ...(duplicateRate !== undefined ? { duplicateRate } : {}),
  };
}
