import { lastValueFrom, tap } from 'rxjs';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { tallyEvents } from '../support/tallyEvents.js';
import { AuthClient } from '../../src/auth/authClient.js';
import { TimeoutError } from '../../src/errors.js';
import { pageStream } from '../../src/paging/pageStream.js';
import type { PageStreamOptions } from '../../src/paging/pageStreamOptions.js';
import { realClock } from '../../src/runtime/clock.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { startSimulator, type SimulatorStats, type StartSimulatorOptions } from '../../src/simulator/index.js';
import { bareDownload } from './bareDownload.js';
import { withServe } from './measureRun.js';
import { pacedName, pacedScenarios, pacedSimulator, pacedTargets } from './pacedScenarios.js';
import { pageAttempts } from './pageAttempts.js';
import { simPaging } from '../support/simPaging.js';
import { recordCount } from '../../src/staging/recordCount.js';

/** One measured scenario of the page stream over real HTTP. */
export interface StreamBenchRow {
  readonly scenario: string;
  /** Records staged per second in the measuring window. */
  readonly recordsPerSecond: number;
  /** Goodput / (R × (1 − f) × page size); for `calm`, records/s relative to a bare concurrent download. */
  readonly ratio: number;
  /** The same ratio after start-up (the last two thirds of the window). */
  readonly steadyRatio: number;
  /** The fault rate f the server injected into page attempts (its own count). */
  readonly faultRate: number;
  /** Share of attempts answered 429. */
  readonly share429: number;
  readonly attemptsPerPage: number;
  /** Attempts per page a perfect client would need: 1 / (1 − f). */
  readonly idealAttemptsPerPage: number;
  /** Outage scenario: requests the server received during the outage / (R × outage length). */
  readonly outageLoad?: number;
  readonly target: string;
  readonly pass: boolean;
}

export interface StreamBenchOptions {
  /** Length of each measuring window, s. Default 25. */
  readonly windowSeconds?: number;
  readonly log?: (line: string) => void;
  /** Run only the scenarios whose name contains one of these (e.g. `headers off`, `calm`). Default all. */
  readonly only?: readonly string[];
}

const pageSize = 100;

interface Measured {
  readonly records: number;
  readonly seconds: number;
  /** Records staged after the first third of the window, per second (the rate after start-up). */
  readonly steadyRecordsPerSecond: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly pages: number;
  readonly faultRate: number;
  readonly outageRequests: number;
}

/** A simulator over HTTP, in this process or its own. */
interface SimTarget {
  readonly url: string;
  stats(): SimulatorStats | Promise<SimulatorStats>;
}

/** Runs `work` against a fresh HTTP simulator in this process (the paced scenarios: a few requests a second). */
async function withSimulator<T>(sim: StartSimulatorOptions, work: (server: SimTarget) => Promise<T>): Promise<T> {
  const server = await startSimulator(sim);
  try {
    return await work(server);
  } finally {
    await server.close();
  }
}

/** Runs the stream against `server` for `windowSeconds`, counting what was staged within it. */
async function measure(server: SimTarget, windowSeconds: number, extra: Partial<PageStreamOptions> = {}): Promise<Measured> {
  const runtime = createRuntime();
  const auth = new AuthClient({ baseUrl: server.url, username: 'demo', password: 'demo-password' }, runtime);
  const start = realClock.now();
  const windowMs = windowSeconds * 1000;
  let records = 0;
  let pages = 0;
  let steadyRecords = 0;
  const events: StreamEvent[] = [];
  const stream = pageStream(
    { url: `${server.url}/customers`, ...simPaging('page', pageSize), deadlineSeconds: windowSeconds, ...extra },
    {
      runtime,
      auth,
      scheduler: clockScheduler(realClock),
      stage: async (staged) => {
        const at = realClock.now() - start;
        if (at > windowMs) return;
        for (const page of staged) {
          if (at > windowMs / 3) steadyRecords += recordCount(page);
          records += recordCount(page);
          pages++;
        }
      },
    },
  );
  try {
    await lastValueFrom(stream.pipe(tap((event) => events.push(event))), { defaultValue: undefined });
  } catch (error: unknown) {
    if (!(error instanceof TimeoutError)) throw error;
  }
  const seconds = Math.min(windowMs, realClock.now() - start) / 1000;
  const stats = tallyEvents(events).requests;
  const serverStats = await server.stats();
  return {
    records,
    seconds,
    steadyRecordsPerSecond: steadyRecords / (seconds - windowSeconds / 3),
    requests: stats.total,
    rateLimited: stats.rateLimited,
    pages,
    faultRate: pageAttempts(serverStats).f,
    outageRequests: serverStats.faults.outage,
  };
}

/**
 * The stream's benchmark (docs/pacing.md, "What is measured"): goodput against the achievable
 * ceiling with the 429 share and attempts per page, for `flaky` and `hostile` with rate-limit
 * headers on and off; the load sent into an outage; and on `calm` the stream's speed against a
 * bare concurrent download. Prints one line per scenario and returns the rows.
 */
export async function runStreamBench(options: StreamBenchOptions = {}): Promise<StreamBenchRow[]> {
  const windowSeconds = options.windowSeconds ?? 25;
  const log = options.log ?? ((line: string) => console.log(line));
  const rows: StreamBenchRow[] = [];
  const report = (row: StreamBenchRow): void => {
    rows.push(row);
    const outage = row.outageLoad === undefined ? '' : ` outage load ${row.outageLoad.toFixed(3)} × limit`;
    log(
      `${row.pass ? 'PASS' : 'FAIL'} ${row.scenario.padEnd(34)} ${row.recordsPerSecond.toFixed(0).padStart(7)} rec/s  f ${row.faultRate.toFixed(3)}  ratio ${row.ratio.toFixed(3)} (after start-up ${row.steadyRatio.toFixed(3)})  429s ${(row.share429 * 100).toFixed(2)}%  attempts/page ${row.attemptsPerPage.toFixed(3)} (ideal ${row.idealAttemptsPerPage.toFixed(3)})${outage}  [${row.target}]`,
    );
  };

  const wanted = (name: string): boolean => options.only === undefined || options.only.some((part) => name.includes(part));
  for (const [i, s] of pacedScenarios.entries()) {
    const name = pacedName(s);
    if (!wanted(name)) continue;
    // Learning a limit from 429s alone costs a few refusals once: at R = 4 that is 2-3% of a 25 s
    // window's 100 attempts by itself, so the discovery is judged over 120 s (still a small run at R = 4).
    const seconds = s.headers ? windowSeconds : Math.max(windowSeconds, 120);
    const m = await withSimulator(pacedSimulator(s, 100 + i, seconds, pageSize), (server) => measure(server, seconds));
    const f = m.faultRate;
    const recordsPerSecond = m.records / m.seconds;
    const ratio = recordsPerSecond / (s.rate * (1 - f) * pageSize);
    const share429 = m.requests === 0 ? 0 : m.rateLimited / m.requests;
    const { minRatio, max429 } = pacedTargets(s);
    report({
      scenario: name,
      recordsPerSecond,
      ratio,
      steadyRatio: m.steadyRecordsPerSecond / (s.rate * (1 - f) * pageSize),
      faultRate: f,
      share429,
      attemptsPerPage: m.requests / Math.max(1, m.pages),
      idealAttemptsPerPage: 1 / (1 - f),
      target: `ratio ≥ ${minRatio}, 429s ≤ ${max429 * 100}%`,
      pass: ratio >= minRatio && share429 <= max429,
    });
  }

  if (wanted('outage')) {
    // A 10 s outage in the middle of a flaky run: how hard do we knock on a closed door?
    const rate = 10;
    const outage = { startMs: 8000, endMs: 18_000 };
    const sim: StartSimulatorOptions = {
      profile: 'flaky',
      seed: 200,
      records: rate * windowSeconds * 2 * pageSize,
      rateLimit: rate,
      rateLimitBurst: rate,
      outages: [outage],
      faultsOnLogin: false,
    };
    const m = await withSimulator(sim, (server) => measure(server, windowSeconds));
    const f = m.faultRate;
    const outageLoad = m.outageRequests / (rate * ((outage.endMs - outage.startMs) / 1000));
    const recordsPerSecond = m.records / m.seconds;
    report({
      scenario: `flaky R=${rate} outage 8–18 s`,
      recordsPerSecond,
      ratio: recordsPerSecond / (rate * (1 - f) * pageSize),
      steadyRatio: m.steadyRecordsPerSecond / (rate * (1 - f) * pageSize),
      faultRate: f,
      share429: m.requests === 0 ? 0 : m.rateLimited / m.requests,
      attemptsPerPage: m.requests / Math.max(1, m.pages),
      idealAttemptsPerPage: 1 / (1 - f),
      outageLoad,
      target: 'outage load ≤ 0.2',
      pass: outageLoad <= 0.2,
    });
  }

  if (wanted('calm')) {
    // calm: no limit, no faults. The same pages, bare (8 and 64 workers) and through the stream, from
    // a simulator in its own process: on 2 cores, one serving in this process would be measured too.
    const records = 1_000_000;
    await withServe(['--profile', 'calm', '--seed', '300', '--records', String(records)], async (server) => {
      const bare = [];
      for (const concurrency of [8, 64])
        bare.push(await bareDownload({ url: server.url, pages: records / pageSize, pageSize, concurrency }));
      const m = await measure(server, windowSeconds);
      const streamRate = m.records / m.seconds;
      for (const b of bare) {
        report({
          scenario: `calm (vs bare download ×${b.concurrency})`,
          recordsPerSecond: streamRate,
          ratio: streamRate / b.recordsPerSecond,
          steadyRatio: m.steadyRecordsPerSecond / b.recordsPerSecond,
          faultRate: 0,
          share429: 0,
          attemptsPerPage: m.requests / Math.max(1, m.pages),
          idealAttemptsPerPage: 1,
          target: `ratio ≥ 0.8 of bare ${b.recordsPerSecond.toFixed(0)} rec/s`,
          pass: streamRate / b.recordsPerSecond >= 0.8,
        });
      }
    });
  }
  return rows;
}
