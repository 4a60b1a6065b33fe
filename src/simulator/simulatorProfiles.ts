import type { ResolvedSimulatorOptions } from './simulatorOptions.js';

/** A named preset of every knob except the ones that size the data set. */
export type SimulatorProfileName = 'calm' | 'flaky' | 'hostile';

type ProfileKnobs = Omit<
  ResolvedSimulatorOptions,
  'profile' | 'seed' | 'records' | 'orders' | 'maxPageSize' | 'defaultPageSize' | 'jwtSecret' | 'advertisedLifetimeSeconds'
>;

const common = {
  username: 'demo',
  password: 'demo-password',
  rateLimitHeaders: true,
  rateLimitPolicyHeader: false,
  slowMs: 90_000,
  badGatewayShare: 0.3,
  unavailableRetryAfterRate: 0.5,
  unavailableRetryAfterMaxSeconds: 3,
  trickleChunks: 8,
  trickleIntervalMs: 2000,
  faultsOnLogin: true,
} as const;

const calm: ProfileKnobs = {
  ...common,
  tokenLifetimeSeconds: 3600,
  rateLimit: 0,
  rateLimitBurst: 1,
  retryAfterDateRate: 0,
  latency: { kind: 'none' },
  slowRate: 0,
  serverErrorRate: 0,
  unavailableRate: 0,
  resetRate: 0,
  truncateRate: 0,
  wrongContentRate: 0,
  trickleRate: 0,
  outages: [],
  dirtyRate: 0,
  duplicateRate: 0,
};

/** The defaults of each profile: `calm` is the transport ceiling, `flaky` the brief's world. */
export const simulatorProfiles: Readonly<Record<SimulatorProfileName, ProfileKnobs>> = {
  calm,
  flaky: {
    ...calm,
    tokenLifetimeSeconds: 60,
    rateLimit: 10,
    rateLimitBurst: 10,
    retryAfterDateRate: 0.2,
    latency: { kind: 'uniform', minMs: 20, maxMs: 200 },
    serverErrorRate: 0.05,
    unavailableRate: 0.05,
  },
  hostile: {
    ...calm,
    tokenLifetimeSeconds: 5,
    rateLimit: 4,
    rateLimitBurst: 4,
    retryAfterDateRate: 0.5,
    latency: { kind: 'lognormal', medianMs: 80, sigma: 0.8 },
    slowRate: 0.01,
    serverErrorRate: 0.05,
    unavailableRate: 0.05,
    resetRate: 0.02,
    truncateRate: 0.02,
    wrongContentRate: 0.02,
    trickleRate: 0.03,
    outages: [{ startMs: 30_000, endMs: 40_000 }],
    dirtyRate: 0.1,
    duplicateRate: 0.02,
  },
};
