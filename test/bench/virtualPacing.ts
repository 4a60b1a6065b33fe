import { lastValueFrom, tap } from 'rxjs';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { tallyEvents } from '../support/tallyEvents.js';
import { AuthClient } from '../../src/auth/authClient.js';
import { TimeoutError } from '../../src/errors.js';
import { pageStream } from '../../src/paging/pageStream.js';
import type { PageStreamOptions } from '../../src/paging/pageStreamOptions.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { seededRandom } from '../../src/runtime/random.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch, type SimulatorOptions, type SimulatorStats } from '../../src/simulator/index.js';
import { createPacer } from '../../src/pacing/pacer.js';
import type { LearnedPace } from '../../src/pacing/rateLimiter.js';
import { pacedName, pacedScenarios, pacedSimulator, pacedTargets, type PacedScenario } from './pacedScenarios.js';
import { pageAttempts } from './pageAttempts.js';
import { simPaging } from '../support/simPaging.js';
import { wholeRunTargets } from './wholeRunBench.js';
import { recordCount } from '../../src/staging/recordCount.js';

/**
 * The stream bench's scenarios (test/bench/streamBench.ts) against the in-memory simulator under
 * virtual time: no machine load, exact numbers, any run length. Run it with
 * `npx tsx test/bench/virtualPacing.ts [--seeds 3] [--lengths 30,120,600] [--only flaky,calm,limit] [--complete]`.
 * With `--complete`, a paced scenario runs its whole data set (what `2 × length` s at R fetch)
 * to its end instead of for a window: its ratio then counts the run's tail too. With
 * `--remembered`, the paced and slow scenarios measure a second run against the same API, started
 * from the pace the first learned (run option `rememberPace`).
 */

const pageSize = 100;

/**
 * The `limit` scenarios' (R, burst): R × length s of pages, run to the last. With no burst, each
 * request must come 1/R after the last: answers that vary by 100 ms make that a limit no client
 * reaches without 429s (what one may expect of them is in docs/pacing.md).
 */
const limitScenarios: readonly (readonly [rate: number, burst: number])[] = [
  [10, 1],
  [30, 3],
  [30, 30],
  [80, 8],
  [80, 80],
];

export interface VirtualRow {
  readonly scenario: string;
  readonly seed: number;
  readonly seconds: number;
  /** Goodput / (R (1 − f) k); for calm, records / those of an ideal 64-worker download at the same latency. */
  readonly ratio: number;
  readonly share429: number;
  readonly attemptsPerPage: number;
  readonly idealAttemptsPerPage: number;
  readonly outageLoad?: number;
  /** Why the run stopped before its deadline, if it did. */
  readonly failure?: string | undefined;
  readonly pass: boolean;
}

interface Measured {
  readonly records: number;
  /** Virtual time until the stream ended: its window, or (`complete`) its last page. */
  readonly seconds: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly pages: number;
  readonly stats: SimulatorStats;
  /** Why the run stopped before its deadline, if it did. */
  readonly failure: string | undefined;
  /** What the run learned of the API's limit, for the next (`RateLimiter.learned`). */
  readonly learned: LearnedPace | undefined;
}

/** Runs the page stream for `seconds` of virtual time, counting what was staged within them; `complete`: to its last page. */
async function measure(
  sim: SimulatorOptions,
  seconds: number,
  seed: number,
  complete = false,
  extra: Partial<PageStreamOptions> = {},
  remembered?: LearnedPace,
): Promise<Measured> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const pacer = createPacer(clock, { rateLimit: extra.rateLimit, maxRate: extra.maxRate, remembered });
  const start = clock.now();
  const simulator = createSimulatorFetch(sim, clock);
  const runtime = createRuntime({ clock, random: seededRandom(seed), fetch: simulator.fetch });
  // The real client, as in the HTTP bench: how it refreshes short-lived tokens shapes the load.
  const auth = new AuthClient({ baseUrl: simulator.url, username: 'demo', password: 'demo-password' }, runtime);
  const windowMs = seconds * 1000;
  let records = 0;
  let pages = 0;
  const stream = pageStream(
    { url: `${simulator.url}/customers`, ...simPaging('page', pageSize), ...(complete ? {} : { deadlineSeconds: seconds }), ...extra },
    {
      runtime,
      auth,
      pacer,
      scheduler: clockScheduler(clock),
      stage: async (staged) => {
        if (!complete && clock.now() - start > windowMs) return;
        for (const page of staged) {
          records += recordCount(page);
          pages++;
        }
      },
    },
  );
  let failure: string | undefined;
  const events: StreamEvent[] = [];
  await clock.run(async () => {
    try {
      await lastValueFrom(stream.pipe(tap((event) => events.push(event))), { defaultValue: undefined });
    } catch (error: unknown) {
      // The deadline ends every run; anything else (a page past its 8 failures) is a result to show.
      if (!(error instanceof TimeoutError)) failure = error instanceof Error ? error.message.slice(0, 120) : String(error);
    }
  });
  const { total: requests, rateLimited } = tallyEvents(events).requests;
  return {
    records,
    seconds: complete ? (clock.now() - start) / 1000 : seconds,
    requests,
    rateLimited,
    pages,
    stats: simulator.stats(),
    failure,
    learned: pacer.limiter.learned,
  };
}

/** `measure`, or with `remembered` the same run again, started from the pace the first learned. */
async function measureRun(remembered: boolean, ...[sim, seconds, seed, complete, extra]: Parameters<typeof measure>): Promise<Measured> {
  const first = await measure(sim, seconds, seed, complete, extra);
  return remembered ? measure(sim, seconds, seed, complete, extra, first.learned) : first;
}

/**
 * `concurrency` plain workers (no pacing), the ideal: the records they fetch within `seconds` of
 * virtual time, or the virtual seconds they take to fetch `pages` pages.
 */
async function plainWorkers(
  sim: SimulatorOptions,
  concurrency: number,
  until: { readonly seconds: number } | { readonly pages: number },
): Promise<{ records: number; seconds: number }> {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const simulator = createSimulatorFetch(sim, clock);
  const start = clock.now();
  const end = 'seconds' in until ? start + until.seconds * 1000 : Infinity;
  const pages = 'pages' in until ? until.pages : Infinity;
  let records = 0;
  let next = 1;
  await clock.run(async () => {
    const login = await simulator.fetch(`${simulator.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const worker = async (): Promise<void> => {
      while (clock.now() < end && next <= pages) {
        const page = next++;
        const res = await simulator.fetch(`${simulator.url}/customers?page=${page}&limit=${pageSize}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { data: unknown[] };
        if (clock.now() <= end) records += body.data.length;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  });
  return { records, seconds: (clock.now() - start) / 1000 };
}

export async function runVirtualPacing(options: {
  seeds: readonly number[];
  lengths: readonly number[];
  only?: readonly string[];
  /** Paced scenarios run to their last page (see the usage above). */
  complete?: boolean;
  /** Paced and slow scenarios measure a second run, from the pace the first learned (see the usage above). */
  remembered?: boolean;
  log?: (line: string) => void;
}): Promise<VirtualRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const remembered = options.remembered ?? false;
  const suffix = remembered ? ', remembered' : '';
  const wanted = (name: string): boolean => options.only === undefined || options.only.some((part) => name.includes(part));
  const rows: VirtualRow[] = [];
  const report = (row: VirtualRow): void => {
    rows.push(row);
    const outage = row.outageLoad === undefined ? '' : `  outage load ${row.outageLoad.toFixed(3)}`;
    const failure = row.failure === undefined ? '' : `  STOPPED: ${row.failure}`;
    log(
      `${row.pass ? 'PASS' : 'FAIL'} ${row.scenario.padEnd(26)} seed ${String(row.seed).padStart(3)} ${String(row.seconds).padStart(4)} s  ratio ${row.ratio.toFixed(3)}  429s ${(row.share429 * 100).toFixed(2)}%  attempts/page ${row.attemptsPerPage.toFixed(3)} (ideal ${row.idealAttemptsPerPage.toFixed(3)})${outage}${failure}`,
    );
  };
  /** A run against a limit R: goodput against R × (1 − f) × page size, judged by the targets with or without headers. */
  const reportLimited = (name: string, seed: number, limit: Pick<PacedScenario, 'rate' | 'headers'>, m: Measured): void => {
    const f = pageAttempts(m.stats).f;
    const ratio = m.records / m.seconds / (limit.rate * (1 - f) * pageSize);
    const share429 = m.requests === 0 ? 0 : m.rateLimited / m.requests;
    const { minRatio, max429 } = pacedTargets(limit);
    report({
      scenario: `${name}${suffix}`,
      seed,
      seconds: Math.round(m.seconds),
      ratio,
      share429,
      attemptsPerPage: m.requests / Math.max(1, m.pages),
      idealAttemptsPerPage: 1 / (1 - f),
      failure: m.failure,
      pass: m.failure === undefined && ratio >= minRatio && share429 <= max429,
    });
  };
  for (const s of pacedScenarios) {
    const name = pacedName(s);
    if (!wanted(name)) continue;
    for (const seconds of options.lengths) {
      for (const seed of options.seeds) {
        const sim = pacedSimulator(s, seed, seconds, pageSize);
        reportLimited(name, seed, s, await measureRun(remembered, sim, seconds, seed, options.complete));
      }
    }
  }
  // Other APIs' limits, learned from 429s alone (no headers, no faults, answers in 50-150 ms): a
  // burst of the limit's second, a tenth of it, none at all (nginx's `limit_req` without `burst`).
  for (const [rate, burst] of limitScenarios) {
    const name = `limit R=${rate} burst ${burst}`;
    if (!wanted(name)) continue;
    for (const seconds of options.lengths) {
      for (const seed of options.seeds) {
        const sim: SimulatorOptions = {
          profile: 'calm',
          seed,
          faultsOnLogin: false,
          records: Math.ceil(rate * seconds) * pageSize,
          rateLimit: rate,
          rateLimitBurst: burst,
          rateLimitHeaders: false,
          latency: { kind: 'uniform', minMs: 50, maxMs: 150 },
        };
        reportLimited(name, seed, { rate, headers: false }, await measureRun(remembered, sim, seconds, seed, true));
      }
    }
  }
  if (wanted('outage')) {
    const rate = 10;
    const outage = { startMs: 8000, endMs: 18_000 };
    for (const seed of options.seeds) {
      const seconds = 30;
      const sim: SimulatorOptions = {
        profile: 'flaky',
        seed,
        records: rate * seconds * 2 * pageSize,
        rateLimit: rate,
        rateLimitBurst: rate,
        outages: [outage],
        faultsOnLogin: false,
      };
      const m = await measure(sim, seconds, seed);
      const f = pageAttempts(m.stats).f;
      const outageLoad = m.stats.faults.outage / (rate * ((outage.endMs - outage.startMs) / 1000));
      report({
        scenario: `flaky R=${rate} outage 8–18 s`,
        seed,
        seconds,
        ratio: m.records / seconds / (rate * (1 - f) * pageSize),
        share429: m.requests === 0 ? 0 : m.rateLimited / m.requests,
        attemptsPerPage: m.requests / Math.max(1, m.pages),
        idealAttemptsPerPage: 1 / (1 - f),
        outageLoad,
        pass: outageLoad <= 0.2,
      });
    }
  }
  if (wanted('calm')) {
    // No limit, no faults; latency as flaky's so that virtual time means something.
    for (const seconds of options.lengths.map((s) => Math.min(s, 60))) {
      for (const seed of options.seeds) {
        const base: SimulatorOptions = { profile: 'calm', seed, latency: { kind: 'uniform', minMs: 20, maxMs: 200 } };
        const { records: ideal } = await plainWorkers({ ...base, records: 10_000_000 }, 64, { seconds });
        const m = await measure({ ...base, records: Math.ceil((ideal * 1.5) / pageSize) * pageSize }, seconds, seed);
        report({
          scenario: 'calm (vs ideal ×64)',
          seed,
          seconds,
          ratio: m.records / ideal,
          share429: 0,
          attemptsPerPage: m.requests / Math.max(1, m.pages),
          idealAttemptsPerPage: 1,
          pass: m.records / ideal >= 0.8,
        });
      }
    }
  }
  if (wanted('slow')) {
    // The whole-run bench's small pages from a slow API: 1,000 pages of 100, answers in 50-150 ms, no limit.
    for (const seed of options.seeds) {
      const sim: SimulatorOptions = {
        profile: 'calm',
        seed,
        records: 1000 * pageSize,
        latency: { kind: 'uniform', minMs: 50, maxMs: 150 },
      };
      const { seconds: ideal } = await plainWorkers(sim, 64, { pages: 1000 });
      for (const [name, extra] of [
        ['slow small pages (vs ×64)', {}],
        // What a user who knows the API's limit gets: no slow start (run option `rateLimit`).
        ['slow, limit known (vs ×64)', { rateLimit: 1000 }],
      ] as const) {
        const m = await measureRun(remembered, sim, 600, seed, true, extra);
        const ratio = ideal / m.seconds;
        report({
          scenario: `${name}${suffix}`,
          seed,
          seconds: Math.round(m.seconds * 10) / 10,
          ratio,
          share429: 0,
          attemptsPerPage: m.requests / Math.max(1, m.pages),
          idealAttemptsPerPage: 1,
          failure: m.failure,
          pass: m.failure === undefined && ratio >= wholeRunTargets.slowFetchRatio,
        });
      }
    }
  }
  return rows;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1]?.endsWith('virtualPacing.ts')) {
  const seeds = Array.from({ length: Number(arg('seeds') ?? 3) }, (_, i) => i + 1);
  const lengths = (arg('lengths') ?? '30,120,600').split(',').map(Number);
  const only = arg('only')?.split(',');
  const started = performance.now();
  const rows = await runVirtualPacing({
    seeds,
    lengths,
    ...(only ? { only } : {}),
    complete: process.argv.includes('--complete'),
    remembered: process.argv.includes('--remembered'),
  });
  const failed = rows.filter((r) => !r.pass).length;
  console.log(`${rows.length - failed}/${rows.length} pass (${((performance.now() - started) / 1000).toFixed(0)} s wall)`);
}
