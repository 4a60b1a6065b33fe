import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { simulatorProfiles, type SimulatorProfileName } from './simulatorProfiles.js';

const rate = z.number().min(0).max(1);
const nonNegativeInt = z.number().int().min(0);
const positiveInt = z.number().int().min(1);

/** A per-request delay distribution (ms). */
export const latencySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('fixed'), ms: nonNegativeInt }),
  z.strictObject({ kind: z.literal('uniform'), minMs: nonNegativeInt, maxMs: nonNegativeInt }),
  z.strictObject({ kind: z.literal('lognormal'), medianMs: z.number().min(0), sigma: z.number().min(0).max(5) }),
]);

/** A time range, in ms since the simulator started, in which every API request gets 503. */
export const outageSchema = z.strictObject({ startMs: nonNegativeInt, endMs: nonNegativeInt });

export type LatencyDistribution = z.infer<typeof latencySchema>;
export type OutageWindow = z.infer<typeof outageSchema>;

// Partial once, here: zod compiles a schema on its first parse (~1 ms), and options are resolved per simulator and oracle call.
const knobsSchema = z
  .strictObject({
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    records: z.number().int().min(0).max(1e12),
    orders: z.number().int().min(0).max(1e12),
    maxPageSize: positiveInt,
    defaultPageSize: positiveInt,
    username: z.string().min(1),
    password: z.string().min(1),
    jwtSecret: z.string().min(1),
    tokenLifetimeSeconds: positiveInt,
    advertisedLifetimeSeconds: positiveInt,
    rateLimit: z.number().min(0),
    rateLimitBurst: positiveInt,
    rateLimitHeaders: z.boolean(),
    rateLimitPolicyHeader: z.boolean(),
    retryAfterDateRate: rate,
    latency: latencySchema,
    slowRate: rate,
    slowMs: nonNegativeInt,
    serverErrorRate: rate,
    badGatewayShare: rate,
    unavailableRate: rate,
    unavailableRetryAfterRate: rate,
    unavailableRetryAfterMaxSeconds: positiveInt,
    resetRate: rate,
    truncateRate: rate,
    wrongContentRate: rate,
    trickleRate: rate,
    trickleChunks: z.number().int().min(2).max(10_000),
    trickleIntervalMs: nonNegativeInt,
    outages: z.array(outageSchema),
    faultsOnLogin: z.boolean(),
    dirtyRate: rate,
    duplicateRate: rate,
  })
  .partial();

/** Every knob of the simulator, resolved (profile defaults + overrides), validated. */
export interface ResolvedSimulatorOptions {
  /** The profile the defaults came from. */
  readonly profile: SimulatorProfileName;
  /** Seed of every draw: data, duplicates, faults, latency. Default 1. */
  readonly seed: number;
  /** Number of customers, ids 1..N. Default 100000. */
  readonly records: number;
  /** Number of orders, ids 1..M. Default: same as `records`. */
  readonly orders: number;
  /** Largest `limit` accepted; above it is 400, not clamped. Default 1000. */
  readonly maxPageSize: number;
  /** `limit` when the request gives none. Default 100 (or `maxPageSize` when smaller). */
  readonly defaultPageSize: number;
  /** Login user name. Default `demo`. */
  readonly username: string;
  /** Login password. Default `demo-password`. */
  readonly password: string;
  /** HMAC key signing the JWTs. Default derived from the seed (so tokens are reproducible). */
  readonly jwtSecret: string;
  /** Token lifetime, the `expires_in` of `/login`; then 401. calm 3600, flaky 60, hostile 5. */
  readonly tokenLifetimeSeconds: number;
  /**
   * The `expires_in` that `/login` sends. Default: the token lifetime. Set above it, tokens die
   * earlier than the client was told (as when a server revokes them): only a 401 tells.
   */
  readonly advertisedLifetimeSeconds: number;
  /** Token-bucket refill per client, requests/s; 0 turns rate limiting off. calm 0, flaky 10, hostile 4. */
  readonly rateLimit: number;
  /** Token-bucket capacity (the burst a client may send at once). flaky 10, hostile 4. */
  readonly rateLimitBurst: number;
  /** Send `RateLimit-Limit`/`-Remaining`/`-Reset` on rate-limited endpoints. Default true. */
  readonly rateLimitHeaders: boolean;
  /** Send `RateLimit-Policy` (e.g. `"default";q=10;w=1`) advertising the limit. Default false. */
  readonly rateLimitPolicyHeader: boolean;
  /** Share of 429s whose `Retry-After` is an HTTP-date instead of seconds. flaky 0.2, hostile 0.5. */
  readonly retryAfterDateRate: number;
  /** Per-request delay before the response head. calm none, flaky uniform 20–200 ms, hostile lognormal. */
  readonly latency: LatencyDistribution;
  /** Share of requests delayed by `slowMs` on top (far beyond a sane timeout). hostile 0.01. */
  readonly slowRate: number;
  /** The slow tail's extra delay, ms. Default 90000. */
  readonly slowMs: number;
  /** Share of requests answered 500 `{"error":"internal"}` (or 502). flaky 0.05, hostile 0.05. */
  readonly serverErrorRate: number;
  /** Share of those server errors sent as 502 instead of 500. Default 0.3. */
  readonly badGatewayShare: number;
  /** Share of requests answered 503. flaky 0.05, hostile 0.05. */
  readonly unavailableRate: number;
  /** Share of those 503s carrying `Retry-After` (seconds). Default 0.5. */
  readonly unavailableRetryAfterRate: number;
  /** Largest `Retry-After` of a random 503, seconds (drawn 1..max). Default 3. */
  readonly unavailableRetryAfterMaxSeconds: number;
  /** Share of requests whose connection is reset mid-response. hostile 0.02. */
  readonly resetRate: number;
  /** Share of 200s whose body is cut short (invalid JSON). hostile 0.02. */
  readonly truncateRate: number;
  /** Share of requests answered 200 with an HTML error page. hostile 0.02. */
  readonly wrongContentRate: number;
  /** Share of responses whose body trickles in `trickleChunks` chunks. hostile 0.03. */
  readonly trickleRate: number;
  /** Chunks of a trickling body. Default 8. */
  readonly trickleChunks: number;
  /** Pause between trickled chunks, ms. Default 2000. */
  readonly trickleIntervalMs: number;
  /** Time windows (ms since start) in which every API request gets 503. hostile: 30–40 s. */
  readonly outages: readonly OutageWindow[];
  /** Whether random faults also hit `POST /login`. Default true. */
  readonly faultsOnLogin: boolean;
  /** Share of records with dirty values (bad emails, odd dates, emoji, NUL, ...). hostile 0.1. */
  readonly dirtyRate: number;
  /** Share of records repeated on the next page. hostile 0.02. */
  readonly duplicateRate: number;
}

/** Options of the simulator: a profile plus any knob to override; see `ResolvedSimulatorOptions`. */
export type SimulatorOptions = Readonly<Partial<Omit<ResolvedSimulatorOptions, 'profile'>>> & {
  /** `calm` (no faults, no rate limit), `flaky` (the brief's world) or `hostile`. Default `flaky`. */
  readonly profile?: SimulatorProfileName;
};

const profileSchema = z.enum(['calm', 'flaky', 'hostile']);

/**
 * Validates `options` and merges them over the profile's defaults. Throws a `ConfigError`
 * listing every problem, each naming its option.
 */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const { profile: profileInput, ...knobs } = options;
  const problems: string[] = [];
  const profileResult = profileSchema.safeParse(profileInput ?? 'flaky');
  if (!profileResult.success) problems.push(`simulator option "profile": expected one of calm, flaky, hostile`);
  const knobsResult = knobsSchema.safeParse(knobs);
  if (!knobsResult.success) {
    for (const issue of knobsResult.error.issues) {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
      const keys = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
      problems.push(`simulator option "${path}": ${issue.message}${keys}`);
    }
  }
  if (!profileResult.success || !knobsResult.success) throw new ConfigError(problems);

  const profile = profileResult.data;
  const defined = Object.fromEntries(Object.entries(knobsResult.data).filter(([, v]) => v !== undefined));
  const base = simulatorProfiles[profile];
  const seed = (defined['seed'] as number | undefined) ?? 1;
  const records = (defined['records'] as number | undefined) ?? 100_000;
  const maxPageSize = (defined['maxPageSize'] as number | undefined) ?? 1000;
  const resolved: ResolvedSimulatorOptions = {
    ...base,
    seed,
    records,
    orders: records,
    maxPageSize,
    defaultPageSize: Math.min(100, maxPageSize),
    jwtSecret: `simulator-secret-${seed}`,
    advertisedLifetimeSeconds: (defined['tokenLifetimeSeconds'] as number | undefined) ?? base.tokenLifetimeSeconds,
    ...defined,
    profile,
  };
  problems.push(...crossChecks(resolved));
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}

function crossChecks(o: ResolvedSimulatorOptions): string[] {
  const problems: string[] = [];
  if (o.defaultPageSize > o.maxPageSize) {
    problems.push(`simulator option "defaultPageSize": ${o.defaultPageSize} is above maxPageSize ${o.maxPageSize}`);
  }
  const faultSum = o.serverErrorRate + o.unavailableRate + o.resetRate + o.truncateRate + o.wrongContentRate;
  if (faultSum > 1) {
    problems.push(
      `simulator options "serverErrorRate" + "unavailableRate" + "resetRate" + "truncateRate" + "wrongContentRate": sum ${faultSum} is above 1`,
    );
  }
  if (o.latency.kind === 'uniform' && o.latency.minMs > o.latency.maxMs) {
    problems.push(`simulator option "latency": minMs ${o.latency.minMs} is above maxMs ${o.latency.maxMs}`);
  }
  o.outages.forEach((w, i) => {
    if (w.endMs <= w.startMs) problems.push(`simulator option "outages.${i}": endMs must be after startMs`);
  });
  return problems;
}
