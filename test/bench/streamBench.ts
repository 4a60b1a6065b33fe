import { lastValueFrom } from 'rxjs';
import { AuthClient } from '../../src/auth/authClient.js';
import { TimeoutError } from '../../src/errors.js';
import { pageStream } from '../../src/paging/pageStream.js';
import type { PageStreamOptions } from '../../src/paging/pageStreamOptions.js';
import { realClock } from '../../src/runtime/clock.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { startSimulator, type StartSimulatorOptions } from '../../src/simulator/index.js';
import { pageAttempts } from './pageAttempts.js';

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

/** Runs the stream against a fresh HTTP simulator for `windowSeconds`, counting what was staged within it. */
async function measure(sim: StartSimulatorOptions, windowSeconds: number, extra: Partial<PageStreamOptions> = {}): Promise<Measured> {
  const server = await startSimulator(sim);
  try {
    const runtime = createRuntime();
    const auth = new AuthClient({ baseUrl: server.url, username: 'demo', password: 'demo-password' }, runtime);
    const start = realClock.now();
    const windowMs = windowSeconds * 1000;
    let records = 0;
    let pages = 0;
    let steadyRecords = 0;
    const stream = pageStream(
      { url: `${server.url}/customers`, paging: { kind: 'pageNumber', pageSize }, deadlineMs: windowMs, ...extra },
      {
        runtime,
        auth,
        scheduler: clockScheduler(realClock),
        stage: async (page) => {
          const at = realClock.now() - start;
          if (at > windowMs) return;
          if (at > windowMs / 3) steadyRecords += page.records.length;
          records += page.records.length;
          pages++;
        },
      },
    );
    try {
      await lastValueFrom(stream, { defaultValue: undefined });
    } catch (error: unknown) {
      if (!(error instanceof TimeoutError)) throw error;
    }
    const seconds = Math.min(windowMs, realClock.now() - start) / 1000;
    const stats = stream.stats();
    const serverStats = server.stats();
    return {
      records,
      seconds,
      steadyRecordsPerSecond: steadyRecords / (seconds - windowSeconds / 3),
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      pages,
      faultRate: pageAttempts(serverStats).f,
      outageRequests: serverStats.faults.outage,
    };
  } finally {
    await server.close();
  }
}

/** Downloads pages 1..n with `concurrency` plain workers (no pacing, no retries): the transport ceiling. */
async function bareDownload(url: string, pages: number, concurrency: number): Promise<{ records: number; seconds: number }> {
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const start = realClock.now();
  let next = 1;
  let records = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next <= pages) {
        const page = next++;
        const res = await fetch(`${url}/customers?page=${page}&limit=${pageSize}`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { data: unknown[] };
        records += body.data.length;
      }
    }),
  );
  return { records, seconds: (realClock.now() - start) / 1000 };
}

/**
 * The stream's benchmark (PACING.md "What to measure"): goodput against the achievable
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

  const paced: { profile: 'flaky' | 'hostile'; rate: number; headers: boolean }[] = [
    { profile: 'flaky', rate: 10, headers: true },
    { profile: 'flaky', rate: 10, headers: false },
    { profile: 'hostile', rate: 4, headers: true },
    { profile: 'hostile', rate: 4, headers: false },
  ];
  const wanted = (name: string): boolean => options.only === undefined || options.only.some((part) => name.includes(part));
  for (const [i, s] of paced.entries()) {
    const name = `${s.profile} R=${s.rate} headers ${s.headers ? 'on' : 'off'}`;
    if (!wanted(name)) continue;
    const sim: StartSimulatorOptions = {
      profile: s.profile,
      seed: 100 + i,
      faultsOnLogin: false,
      records: Math.ceil(s.rate * windowSeconds * 2) * pageSize,
      rateLimit: s.rate,
      rateLimitBurst: s.rate,
      rateLimitHeaders: s.headers,
      outages: [],
      // The fault rates are the profile's own.
    };
    const m = await measure(sim, windowSeconds);
    const f = m.faultRate;
    const recordsPerSecond = m.records / m.seconds;
    const ratio = recordsPerSecond / (s.rate * (1 - f) * pageSize);
    const share429 = m.requests === 0 ? 0 : m.rateLimited / m.requests;
    const [minRatio, max429] = s.headers ? [0.95, 0.01] : [0.9, 0.02];
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
    const m = await measure(sim, windowSeconds);
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
    // calm: no limit, no faults. The same pages, bare (8 and 64 workers) and through the stream.
    const sim: StartSimulatorOptions = { profile: 'calm', seed: 300, records: 1_000_000 };
    const bare: { concurrency: number; records: number; seconds: number }[] = [];
    for (const concurrency of [8, 64]) {
      const server = await startSimulator(sim);
      try {
        bare.push({ concurrency, ...(await bareDownload(server.url, sim.records! / pageSize, concurrency)) });
      } finally {
        await server.close();
      }
    }
    const m = await measure(sim, windowSeconds);
    const streamRate = m.records / m.seconds;
    for (const b of bare) {
      const bareRate = b.records / b.seconds;
      report({
        scenario: `calm (vs bare download ×${b.concurrency})`,
        recordsPerSecond: streamRate,
        ratio: streamRate / bareRate,
        steadyRatio: m.steadyRecordsPerSecond / bareRate,
        faultRate: 0,
        share429: 0,
        attemptsPerPage: m.requests / Math.max(1, m.pages),
        idealAttemptsPerPage: 1,
        target: `ratio ≥ 0.8 of bare ${bareRate.toFixed(0)} rec/s`,
        pass: streamRate / bareRate >= 0.8,
      });
    }
  }
  return rows;
}
