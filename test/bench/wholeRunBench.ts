import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../../src/report/runReport.js';
import { simulatorProfiles } from '../../src/simulator/simulatorProfiles.js';
import { runCommand, type ServeProcess } from './childProcesses.js';
import type { BareDownloadOptions, BareDownloadResult } from './bareDownload.js';
import {
  benchPageSize,
  cpuFigures,
  formatCpu,
  formatPhases,
  measureRunAgain,
  measureRunAgainst,
  phaseFigures,
  runChildAgainst,
  withServe,
  type BenchContext,
  type CpuShare,
  type MeasuredRun,
} from './measureRun.js';
import { pacedName, pacedScenarios, pacedTargets } from './pacedScenarios.js';
import { pageAttempts } from './pageAttempts.js';

export interface WholeRunBenchOptions {
  /** Wall time each paced scenario should last at its rate limit, s (the record count follows from it). */
  readonly seconds: number;
  /** Records of the calm scenario (whole run vs bare download). */
  readonly calmRecords: number;
  /** Worker counts tried for the bare download (8 among them: issue #15 compares with it). */
  readonly bareConcurrency: readonly number[];
  /** Pages of 100 records of the slow calm scenario (latency 50-150 ms). */
  readonly slowPages: number;
  /** Customers of the `npm start` demo (its default: 100,000). */
  readonly demoRecords: number;
}

/** Each paced profile's nominal share of attempts that fail, to size its data set. */
const nominalF = { flaky: 0.1, hostile: 0.2 } as const;

/**
 * Whole-run targets. Paced: the stream bench's (`pacedTargets`), now for the whole run, which also
 * stages, writes and uploads (issue #15 keeps them). Calm: the whole run against 8 plain concurrent
 * downloads of the same pages, and with small pages from a slow API, the fetch phase against 64.
 */
export const wholeRunTargets = { calmRatio: 0.6, slowFetchRatio: 0.85, demoRatio: 1.4 } as const;

/**
 * Speed of whole runs (staging, final file, upload, report) over real HTTP: on `flaky` and
 * `hostile` with a known rate limit R, goodput against the ceiling R × (1 − f) × page size,
 * the 429 share and attempts per page, rate-limit headers on and off; on `calm`, records/s
 * against a bare concurrent download of the same pages.
 */
export async function runWholeRunBench(ctx: BenchContext, options: WholeRunBenchOptions): Promise<void> {
  for (const [i, s] of pacedScenarios.entries()) {
    const pages = Math.max(2, Math.round(s.rate * (1 - nominalF[s.profile]) * options.seconds));
    const records = pages * benchPageSize;
    const scenario = pacedName(s);
    const { minRatio, max429 } = pacedTargets(s);
    await ctx.scenario(`speed ${scenario}`, async () => {
      const flags = [
        ...['--profile', s.profile, '--seed', String(10 + i), '--records', String(records)],
        ...['--rate-limit', String(s.rate), '--rate-limit-burst', String(s.rate)],
        // f must be the page attempts' own: no outage window (measured by the stream bench) and no faults on login.
        ...['--outage', 'none', '--no-faults-on-login'],
        ...(s.headers ? [] : ['--no-rate-limit-headers']),
      ];
      const runId = `bench-speed-${s.profile}-${s.headers ? 'h' : 'nh'}`;
      // A first run learns the API's limit; without headers to tell it, a later run against the
      // same API starts from what the first learned (rememberPace), as a scheduled job's next run does.
      const runs = await withServe(flags, async (serve) => {
        const first = await measureRunAgainst(ctx, serve, runId);
        return s.headers ? [first] : [first, await measureRunAgain(ctx, serve, first, `${runId}-again`)];
      });
      for (const [n, m] of runs.entries()) {
        if (m.run.recordsUnique !== records) throw new Error(`the run delivered ${m.run.recordsUnique} of ${records} records`);
        const name = n === 0 ? scenario : `${scenario}, pace remembered`;
        const attempts = pageAttempts(m.server);
        const ceiling = s.rate * (1 - attempts.f) * benchPageSize;
        const seconds = m.run.runMs / 1000;
        const goodput = records / seconds;
        const ratio = goodput / ceiling;
        const fetchSeconds = (m.run.phasesMs['ingesting'] ?? 0) / 1000;
        const share429 = attempts.total === 0 ? 0 : attempts.rateLimited / attempts.total;
        const figures = {
          recordsPerSecond: goodput,
          share429,
          attemptsPerPage: attempts.total / pages,
          acceptedAttemptsPerPage: attempts.accepted / pages,
          idealAttemptsPerPage: 1 / (1 - attempts.f),
          wallSeconds: seconds,
          faultRate: attempts.f,
          ceilingRecordsPerSecond: ceiling,
          fetchPhaseRatio: fetchSeconds > 0 ? records / fetchSeconds / ceiling : Number.NaN,
          ...phaseFigures(m.run.phasesMs, m.run.staging),
          tokenRefreshes: m.run.requests.tokenRefreshes,
          serverLogins: m.server.logins.succeeded,
          serverRateLimited: m.server.rateLimited,
        };
        ctx.log(
          `speed   ${name.padEnd(26)} ${records} records in ${seconds.toFixed(1)} s: ${goodput.toFixed(0)} rec/s, f ${attempts.f.toFixed(3)}, goodput/ceiling ${ratio.toFixed(3)} (fetch phase ${figures.fetchPhaseRatio.toFixed(3)}), 429s ${(share429 * 100).toFixed(2)}%, attempts/page ${figures.attemptsPerPage.toFixed(3)} (ideal ${figures.idealAttemptsPerPage.toFixed(3)}); seconds by phase ${formatPhases(m.run.phasesMs, m.run.staging)}`,
        );
        ctx.record({
          bench: 'speed',
          scenario: `whole run ${name}`,
          measure: 'goodput / ceiling',
          value: ratio,
          target: `≥ ${minRatio}, 429s ≤ ${max429 * 100}%`,
          pass: ratio >= minRatio && share429 <= max429,
          figures,
          note: `ceiling R × (1 − f) × ${benchPageSize} = ${ceiling.toFixed(0)} rec/s`,
        });
      }
    });
  }

  // calm: the same pages, bare (best of several worker counts) and through a whole run.
  const records = options.calmRecords;
  await ctx.scenario('speed calm', () =>
    withServe(['--profile', 'calm', '--seed', '2', '--records', String(records)], async (serve) => {
      const bare: MeasuredBare[] = [];
      for (const concurrency of options.bareConcurrency) {
        const input: BareDownloadOptions = {
          url: serve.url,
          pages: Math.ceil(records / benchPageSize),
          pageSize: benchPageSize,
          concurrency,
        };
        const result = await measureBare(serve, input);
        ctx.log(
          `speed   calm bare download ×${concurrency}: ${result.recordsPerSecond.toFixed(0)} rec/s (${result.seconds.toFixed(1)} s); ${formatCpu(result.cpu, 'download')}`,
        );
        bare.push(result);
      }
      const best = bare.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
      const eight = bare.find((b) => b.concurrency === 8) ?? best;
      const m = await measureRunAgainst(ctx, serve, 'bench-speed-calm');
      const seconds = m.run.runMs / 1000;
      const recordsPerSecond = m.run.recordsUnique / seconds;
      const ratio = recordsPerSecond / eight.recordsPerSecond;
      const fetchSeconds = (m.run.phasesMs['ingesting'] ?? 0) / 1000;
      const { cpu } = m;
      ctx.log(
        `speed   calm ${records} records: whole run ${recordsPerSecond.toFixed(0)} rec/s in ${seconds.toFixed(1)} s, ${ratio.toFixed(3)} of bare ×${eight.concurrency} (${(recordsPerSecond / best.recordsPerSecond).toFixed(3)} of the best, ×${best.concurrency}); phases ${formatPhases(m.run.phasesMs, m.run.staging)}; ${formatCpu(cpu)}`,
      );
      ctx.record({
        bench: 'speed',
        scenario: `whole run calm ${records.toLocaleString('en-US')} records`,
        measure: `rec/s / bare ×${eight.concurrency}`,
        value: ratio,
        target: `≥ ${wholeRunTargets.calmRatio}`,
        pass: ratio >= wholeRunTargets.calmRatio,
        figures: {
          recordsPerSecond,
          wallSeconds: seconds,
          peakRssMb: m.run.maxRssBytes / (1024 * 1024),
          bareRecordsPerSecond: eight.recordsPerSecond,
          bestBareRecordsPerSecond: best.recordsPerSecond,
          ...phaseFigures(m.run.phasesMs, m.run.staging),
          fetchPhaseRatio: fetchSeconds > 0 ? m.run.recordsUnique / fetchSeconds / eight.recordsPerSecond : Number.NaN,
          ...cpuFigures('run', cpu),
          ...cpuFigures(`bareX${eight.concurrency}`, eight.cpu),
          ...Object.fromEntries(bare.map((b) => [`bareX${b.concurrency}RecordsPerSecond`, b.recordsPerSecond])),
        },
      });
    }),
  );

  // Small pages from a slow API (many real APIs: 100 records in ~100 ms): concurrency, not the API, sets the speed.
  const slowPageSize = 100;
  const slowRecords = options.slowPages * slowPageSize;
  await ctx.scenario('speed calm slow small pages', () =>
    withServe(['--profile', 'calm', '--seed', '3', '--records', String(slowRecords), '--latency', 'uniform:50-150'], async (serve) => {
      const input: BareDownloadOptions = { url: serve.url, pages: options.slowPages, pageSize: slowPageSize, concurrency: 64 };
      const bare = await measureBare(serve, input);
      const fetchRate = (m: MeasuredRun): number => {
        const fetchSeconds = (m.run.phasesMs['ingesting'] ?? 0) / 1000;
        return fetchSeconds > 0 ? m.run.recordsUnique / fetchSeconds : Number.NaN;
      };
      const m = await measureRunAgainst(ctx, serve, 'bench-speed-slow', slowPageSize);
      // The same run told the API's limit (far above what it serves) starts at full rate: the rest of
      // the gap is the product's own throughput, not its slow start (which a run learning the limit needs).
      const known = await measureRunAgainst(ctx, serve, 'bench-speed-slow-known', slowPageSize, { rateLimit: 1000 });
      // A later run against the same API, from the pace the first learned (rememberPace).
      const again = await measureRunAgain(ctx, serve, m, 'bench-speed-slow-again', slowPageSize);
      const ratio = fetchRate(m) / bare.recordsPerSecond;
      const knownRatio = fetchRate(known) / bare.recordsPerSecond;
      const rememberedRatio = fetchRate(again) / bare.recordsPerSecond;
      ctx.log(
        `speed   calm slow ${options.slowPages} pages of ${slowPageSize}: fetch phase ${fetchRate(m).toFixed(0)} rec/s, ${ratio.toFixed(3)} of bare ×64 (${bare.recordsPerSecond.toFixed(0)} rec/s), ${knownRatio.toFixed(3)} with the limit known, ${rememberedRatio.toFixed(3)} from the pace remembered; phases ${formatPhases(m.run.phasesMs, m.run.staging)}`,
      );
      ctx.log(
        `speed   calm slow, the bare download's ${formatCpu(bare.cpu, 'download')}; the run with the limit known, ${formatCpu(known.cpu)}`,
      );
      const name = `fetch phase calm, latency 50-150 ms, ${options.slowPages} pages of ${slowPageSize}`;
      for (const [run, scenario, extra] of [
        [m, name, { limitKnownRatio: knownRatio, ...cpuFigures('limitKnownRun', known.cpu), ...cpuFigures('bareX64', bare.cpu) }],
        [again, `${name}, pace remembered`, {}],
      ] as const) {
        const value = fetchRate(run) / bare.recordsPerSecond;
        ctx.record({
          bench: 'speed',
          scenario,
          measure: 'rec/s / bare ×64',
          value,
          target: `≥ ${wholeRunTargets.slowFetchRatio}`,
          pass: value >= wholeRunTargets.slowFetchRatio,
          figures: {
            recordsPerSecond: fetchRate(run),
            wallSeconds: run.run.runMs / 1000,
            peakRssMb: run.run.maxRssBytes / (1024 * 1024),
            bareRecordsPerSecond: bare.recordsPerSecond,
            ...extra,
            ...phaseFigures(run.run.phasesMs, run.run.staging),
          },
        });
      }
    }),
  );

  await ctx.scenario('speed demo', () => measureDemo(ctx, options.demoRecords));
}

type MeasuredBare = BareDownloadResult & { readonly cpu: CpuShare };

/** A bare download against `serve`, in its own process, with the CPU it and the simulator used meanwhile. */
async function measureBare(serve: ServeProcess, input: BareDownloadOptions): Promise<MeasuredBare> {
  const { result, cpu } = await runChildAgainst<BareDownloadResult>(serve, './bareDownloadChild.ts', input);
  return { ...result, cpu };
}

/**
 * `npm start` as a new user runs it (the flaky API in-process, a local S3 server, one run, its
 * report), timed from the command to its exit, against the API's own ceiling for the same pages:
 * pages ÷ (R × (1 − f)), f the share of the attempts the server spent that it failed on purpose.
 */
async function measureDemo(ctx: BenchContext, records: number): Promise<void> {
  const dataDir = join(ctx.workDir, 'demo');
  // npm start runs the build: measure these sources, not the build npm ci made of older ones.
  const build = await runCommand('npm', ['run', 'build']);
  if (build.code !== 0) throw new Error(`npm run build exited with ${build.code}: ${build.stderr}`);
  const demo = await runCommand('npm', ['start', '--', '--no-progress', '--records', String(records), '--data-dir', dataDir]);
  if (demo.code !== 0) throw new Error(`npm start exited with ${demo.code}: ${demo.stderr}`);
  const report = JSON.parse(await readFile(join(dataDir, 'reports', 'customers', 'demo.report.json'), 'utf8')) as RunReport;
  const { requests, pages } = report;
  const count = (outcome: (status: string) => boolean): number =>
    Object.entries(requests.byStatus).reduce((n, [status, c]) => n + (outcome(status) ? c : 0), 0);
  const accepted = requests.total - requests.rateLimited;
  const faulted = count((status) => /^5\d\d$|timeout|network/.test(status));
  const f = accepted === 0 ? 0 : faulted / accepted;
  const rate = simulatorProfiles.flaky.rateLimit;
  const ceilingSeconds = pages.staged / (rate * (1 - f));
  const wallSeconds = demo.wallMs / 1000;
  const ratio = wallSeconds / ceilingSeconds;
  const phases: Record<string, number> = {};
  for (const visit of report.timeline) phases[visit.state] = (phases[visit.state] ?? 0) + visit.durationMs;
  const outside = demo.wallMs - report.durationMs;
  ctx.log(
    `speed   demo ${records} records, ${pages.staged} pages: npm start ${wallSeconds.toFixed(1)} s, ${ratio.toFixed(3)} of the API's ceiling ${ceilingSeconds.toFixed(1)} s (R ${rate}, f ${f.toFixed(3)}); the run ${(report.durationMs / 1000).toFixed(1)} s (${formatPhases(phases, report.throughput.staging)}), outside it (start-up, servers, the report, shutdown) ${(outside / 1000).toFixed(1)} s`,
  );
  ctx.record({
    bench: 'speed',
    scenario: `npm start (demo, ${records.toLocaleString('en-US')} flaky records)`,
    measure: "wall / API's ceiling",
    value: ratio,
    target: `≤ ${wholeRunTargets.demoRatio}`,
    pass: ratio <= wholeRunTargets.demoRatio,
    figures: {
      wallSeconds,
      ceilingSeconds,
      faultRate: f,
      runSeconds: report.durationMs / 1000,
      outsideRunSeconds: outside / 1000,
      ...phaseFigures(phases, report.throughput.staging),
    },
  });
}
