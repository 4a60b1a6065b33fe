import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { RunConfigInput } from '../../src/config/runConfig.js';
import type { S3Credentials } from '../../src/ingestion/runIngestion.js';
import type { SimulatorStats } from '../../src/simulator/index.js';
import { stagingTimeLine } from '../../src/report/reportFacts.js';
import type { StagingTotals } from '../../src/report/runReport.js';
import type { BenchRow } from './benchRow.js';
import { runChildScript, startServeProcess, type ChildResult, type ServeProcess } from './childProcesses.js';
import type { RunIngestionChildInput, RunIngestionChildResult } from './runIngestionChild.js';

/** What every benchmark shares: the S3 server in the bench process, a scratch directory, the sinks of lines and rows. */
export interface BenchContext {
  readonly s3: { readonly endpoint: string; readonly credentials: S3Credentials; readonly bucket: string };
  readonly workDir: string;
  readonly log: (line: string) => void;
  /** Keeps a measured row at once, so that a later scenario's failure loses nothing. */
  readonly record: (row: BenchRow) => void;
  /** Runs one scenario; a failure is logged and listed in the results, and the next scenario runs. */
  readonly scenario: (name: string, work: () => Promise<void>) => Promise<void>;
}

export interface MeasuredRun {
  readonly run: RunIngestionChildResult;
  /** The simulator's counters after the run. */
  readonly server: SimulatorStats;
  /** The run's CPU and the simulator's during it. */
  readonly cpu: CpuShare;
  /** From spawning the run's process to its exit (node start-up and module loading included). */
  readonly processWallMs: number;
  /** The pace the run left for the next against the same server (its data directory's pace.json), if any. */
  readonly pace: string | undefined;
}

/** Page size of every whole-run benchmark: the simulator's maximum. */
export const benchPageSize = 1000;

/** The run options of a benchmark run against `apiUrl`: everything else is the product's default. */
export function benchRunConfig(
  ctx: BenchContext,
  apiUrl: string,
  runId: string,
  dataDir: string,
  pageSize = benchPageSize,
): RunConfigInput {
  return {
    apiUrl,
    username: 'demo',
    password: 'demo-password',
    pageSize,
    bucket: ctx.s3.bucket,
    s3Endpoint: ctx.s3.endpoint,
    s3ForcePathStyle: true,
    dataDir,
    runId,
    // One partition per run: the runs of a benchmark share a bucket and a day.
    prefix: runId,
    logLevel: 'silent',
  };
}

/**
 * One whole run as its own process against `serve` (already started), then the server's
 * stats. The run's data directory starts empty, or with the `pace` an earlier run left, and is
 * removed afterwards (a 10M-record staging file is large).
 */
export async function measureRunAgainst(
  ctx: BenchContext,
  serve: ServeProcess,
  runId: string,
  pageSize = benchPageSize,
  options: Partial<RunConfigInput> = {},
  pace?: string,
): Promise<MeasuredRun> {
  const dataDir = join(ctx.workDir, runId);
  const pacePath = join(dataDir, 'pace.json');
  try {
    if (pace !== undefined) {
      await mkdir(dataDir, { recursive: true });
      await writeFile(pacePath, pace);
    }
    const input: RunIngestionChildInput = {
      config: { ...benchRunConfig(ctx, serve.url, runId, dataDir, pageSize), ...options },
      s3Credentials: ctx.s3.credentials,
    };
    const { result: run, processWallMs, cpu } = await runChildAgainst<RunIngestionChildResult>(serve, './runIngestionChild.ts', input);
    if (run.status !== 'succeeded') throw new Error(`run ${runId} failed: ${run.error ?? 'no reason given'}`);
    const left = await readFile(pacePath, 'utf8').catch(() => undefined);
    return { run, server: await serve.stats(), cpu, processWallMs, pace: left };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * `script` run as runChildScript runs it, while `serve` answers it, with the CPU the child
 * reported (`cpuSeconds`) and the simulator's meanwhile.
 */
export async function runChildAgainst<T extends { readonly cpuSeconds?: number | undefined }>(
  serve: ServeProcess,
  script: string,
  input: unknown,
): Promise<ChildResult<T> & { readonly cpu: CpuShare }> {
  const simulatorCpuBefore = serve.cpuSeconds();
  const child = await runChildScript<T>(script, input);
  const cpu = cpuShare(child.result.cpuSeconds ?? Number.NaN, serve.cpuSeconds() - simulatorCpuBefore, child.processWallMs / 1000);
  return { ...child, cpu };
}

/**
 * The run of `first` again, as a later run against the same server (`runId`): it starts from the
 * pace the first one learned (run option `rememberPace`); the server's stats are its own.
 */
export async function measureRunAgain(
  ctx: BenchContext,
  serve: ServeProcess,
  first: MeasuredRun,
  runId: string,
  pageSize = benchPageSize,
): Promise<MeasuredRun> {
  if (first.pace === undefined) throw new Error(`the run before ${runId} learned no pace to start from`);
  const again = await measureRunAgainst(ctx, serve, runId, pageSize, {}, first.pace);
  return { ...again, server: difference(again.server, first.server) };
}

/** `after − before`, counter by counter (the server counts from its start). */
function difference<T>(after: T, before: T): T {
  if (typeof after === 'number') return (after - (before as number)) as T;
  if (typeof after !== 'object' || after === null) return after;
  const earlier = before as Record<string, unknown>;
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, difference(v, earlier[k] ?? 0)])) as T;
}

/** Starts `ingest serve <flags>`, runs `work` against it, and stops it whatever happens. */
export async function withServe<T>(flags: readonly string[], work: (serve: ServeProcess) => Promise<T>): Promise<T> {
  const serve = await startServeProcess(flags);
  try {
    return await work(serve);
  } finally {
    await serve.close();
  }
}

export const mb = (bytes: number): number => bytes / (1024 * 1024);

/**
 * Where the machine's CPU went while a client (the run, or a bare download) and the simulator
 * shared it: both processes' CPU seconds over `wallSeconds` × the cores. Near 1, the two compete
 * for the cores, and the simulator's share is time the client could not have.
 */
function cpuShare(clientCpuSeconds: number, simulatorCpuSeconds: number, wallSeconds: number): CpuShare {
  const machineBusy = (clientCpuSeconds + simulatorCpuSeconds) / (wallSeconds * availableParallelism());
  return { clientCpuSeconds, simulatorCpuSeconds, machineBusy };
}

export interface CpuShare {
  readonly clientCpuSeconds: number;
  readonly simulatorCpuSeconds: number;
  /** (client + simulator CPU) ÷ (wall × cores). */
  readonly machineBusy: number;
}

/** `{ runCpuSeconds, runSimulatorCpuSeconds, runMachineBusy }` (for `prefix` run) as figures of a row. */
export const cpuFigures = (prefix: string, share: CpuShare): Record<string, number> => ({
  [`${prefix}CpuSeconds`]: share.clientCpuSeconds,
  [`${prefix}SimulatorCpuSeconds`]: share.simulatorCpuSeconds,
  [`${prefix}MachineBusy`]: share.machineBusy,
});

/** `CPU: client 31.2 s, simulator 14.8 s, 0.86 of 2 cores' time` for a log line. */
export const formatCpu = ({ clientCpuSeconds, simulatorCpuSeconds, machineBusy }: CpuShare, client = 'run'): string =>
  `CPU: ${client} ${clientCpuSeconds.toFixed(1)} s, simulator ${simulatorCpuSeconds.toFixed(1)} s, ${machineBusy.toFixed(2)} of ${availableParallelism()} cores' time`;

/** `{ writingSeconds: 3.2, …, stagingAppendSeconds: 1.4, … }`: time per machine state, and staging's within `ingesting`, as figures of a row. */
export const phaseFigures = (phasesMs: Readonly<Record<string, number>>, staging: StagingTotals): Record<string, number> => ({
  ...Object.fromEntries(Object.entries(phasesMs).map(([phase, ms]) => [`${phase}Seconds`, ms / 1000])),
  stagingParseSeconds: staging.parseMs / 1000,
  stagingAppendSeconds: staging.appendMs / 1000,
  stagingCheckpointSeconds: staging.checkpointMs / 1000,
  stagingCommitSeconds: staging.commitMs / 1000,
  stagingTransactions: staging.transactions,
});

/** `ingesting 2.5 s, writing 1.1 s, …; staging within ingesting: parse …` for a log line. */
export const formatPhases = (phasesMs: Readonly<Record<string, number>>, staging: StagingTotals): string =>
  `${Object.entries(phasesMs)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
    .join(', ')}; staging within ingesting: ${stagingTimeLine(staging)}`;
