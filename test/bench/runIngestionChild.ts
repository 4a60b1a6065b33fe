/**
 * The measured process of the memory and calm-speed benchmarks: one full run (staging, final
 * file, upload, report) through `runIngestion`, then its peak RSS. Started by main.ts with
 * BENCH_INPUT; the simulator and S3 live in other processes, so the peak is the ingester's own.
 */
import { performance } from 'node:perf_hooks';
import type { S3Credentials } from '../../src/ingestion/runIngestion.js';
import type { RunConfigInput } from '../../src/config/runConfig.js';
import type { RunReport, StagingTotals } from '../../src/report/runReport.js';
import heap from '../../src/cli/heap.cjs';
import { childInput, ownCpuSeconds, printResult } from './childProcesses.js';

export interface RunIngestionChildInput {
  readonly config: RunConfigInput;
  readonly s3Credentials: S3Credentials;
}

/** The part of the run report a benchmark reads, with the process's peak memory. */
export interface RunIngestionChildResult {
  readonly status: RunReport['status'];
  readonly error?: string;
  /** The report's own duration (it is taken before the report is built and delivered). */
  readonly durationMs: number;
  /** The whole `runIngestion` call, report included: the run's wall time. */
  readonly runMs: number;
  readonly recordsUnique: number;
  readonly recordsReceived: number;
  readonly pagesStaged: number;
  readonly recordsPerSecond: number;
  readonly requests: { readonly total: number; readonly rateLimited: number; readonly retries: number; readonly tokenRefreshes: number };
  readonly outputBytes: number;
  /** Milliseconds spent per top-level machine state (starting = before the machine, authenticating, ingesting, writing, uploading, reporting, …). */
  readonly phasesMs: Readonly<Record<string, number>>;
  /** Where staging's time went within `ingesting` (the report's). */
  readonly staging: StagingTotals;
  /** `process.resourceUsage().maxRSS`, bytes: the peak resident set of this process (V8 and DuckDB alike). */
  readonly maxRssBytes: number;
  /** The highest RSS sampled (every 20 ms) while the machine was in each top-level state, bytes: where the peak comes from. */
  readonly peakRssByPhase: Readonly<Record<string, number>>;
  readonly heapUsedBytes: number;
  /** CPU seconds of this process (user and system, all threads: JavaScript, DuckDB, V8's collector), start-up included. */
  readonly cpuSeconds: number;
}

// This process stands for `ingest run`, whose bin.cjs tunes V8 before the run's modules load (and
// sizes the thread pool, as runChildScript does): so here, before runIngestion is imported.
heap.favourSmallHeap();
const { runIngestion } = await import('../../src/ingestion/runIngestion.js');
const input = childInput<RunIngestionChildInput>();
const peakRssByPhase: Record<string, number> = {};
// Measured here, not read from the report's timeline: the report is built inside `reporting`, so its timeline cannot time that state.
const phasesMs: Record<string, number> = {};
let phase = 'starting';
const runStarted = performance.now();
let phaseStarted = runStarted;
const enter = (next: string): void => {
  const now = performance.now();
  phasesMs[phase] = (phasesMs[phase] ?? 0) + (now - phaseStarted);
  [phase, phaseStarted] = [next, now];
};
const sample = (): void => {
  peakRssByPhase[phase] = Math.max(peakRssByPhase[phase] ?? 0, process.memoryUsage.rss());
};
const sampler = setInterval(sample, 20);
const report = await runIngestion(input.config, {
  s3Credentials: input.s3Credentials,
  onState: (state) => {
    sample();
    enter(state.split(/[.,]/, 1)[0] ?? state);
  },
});
sample();
enter('done');
const runMs = performance.now() - runStarted;
clearInterval(sampler);
const result: RunIngestionChildResult = {
  status: report.status,
  ...(report.error ? { error: report.error } : {}),
  durationMs: report.durationMs,
  runMs,
  recordsUnique: report.records.unique,
  recordsReceived: report.records.received,
  pagesStaged: report.pages.staged,
  recordsPerSecond: report.throughput.recordsPerSecond,
  requests: {
    total: report.requests.total,
    rateLimited: report.requests.rateLimited,
    retries: report.requests.retries,
    tokenRefreshes: report.requests.tokenRefreshes,
  },
  outputBytes: report.output?.bytes ?? 0,
  phasesMs,
  staging: report.throughput.staging,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  peakRssByPhase,
  heapUsedBytes: process.memoryUsage().heapUsed,
  cpuSeconds: ownCpuSeconds(),
};
printResult(result);
// Exit now: the result is out, and a lingering handle must not hold the parent (stdout to a pipe is synchronous).
process.exit(report.status === 'succeeded' ? 0 : 1);
