/**
 * `npm run bench`: every benchmark in one go — memory (peak RSS of whole runs by size), speed
 * (whole runs against the rate-limit ceiling and a bare download) and the page stream alone —
 * then one table of the measured ratios, written to data/bench/ as JSON and Markdown.
 * Run it on a quiet machine: two benchmarks sharing cores measure each other.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startLocalS3 } from '../../src/storage/startLocalS3.js';
import { parseBenchArgs, type BenchArgs, type BenchName } from './benchArgs.js';
import { renderTable, type BenchRow } from './benchRow.js';
import { repoRoot } from './childProcesses.js';
import type { BenchContext } from './measureRun.js';
import { runMemoryBench } from './memoryBench.js';
import { runStreamBench, type StreamBenchRow } from './streamBench.js';
import { runWholeRunBench } from './wholeRunBench.js';
import { writeBenchResults, type BenchResults } from './writeBenchResults.js';

const log = (line: string): void => void process.stdout.write(`${line}\n`);

let args: BenchArgs;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (error: unknown) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

/** The stream bench's rows in the common shape. */
function streamRow(row: StreamBenchRow): BenchRow {
  return {
    bench: 'stream',
    scenario: `stream ${row.scenario}`,
    measure: row.scenario.startsWith('calm') ? 'rec/s / bare' : row.outageLoad !== undefined ? 'outage load / R' : 'goodput / ceiling',
    value: row.outageLoad ?? row.ratio,
    target: row.target,
    pass: row.pass,
    figures: {
      recordsPerSecond: row.recordsPerSecond,
      share429: row.share429,
      attemptsPerPage: row.attemptsPerPage,
      idealAttemptsPerPage: row.idealAttemptsPerPage,
      ratio: row.ratio,
      steadyRatio: row.steadyRatio,
      faultRate: row.faultRate,
    },
  };
}

const cores = cpus().length;
const startedAt = new Date();
const loadAverageAtStart = loadavg()[0] ?? 0;
if (loadAverageAtStart > cores / 2) {
  log(
    `WARNING: load average ${loadAverageAtStart.toFixed(2)} on ${cores} cores: something else is running, the numbers will be low and noisy.`,
  );
}
if (args.quick) log('--quick: small sizes and short windows, a smoke run of the harness, not a measurement.');

const workDir = await mkdtemp(join(tmpdir(), 'ingest-bench-'));
const s3 = await startLocalS3({ directory: join(workDir, 's3'), buckets: ['bench'] });
const rows: BenchRow[] = [];
const errors: { bench: string; message: string }[] = [];
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const ctx: BenchContext = {
  s3: { endpoint: s3.endpoint, credentials: s3.credentials, bucket: 'bench' },
  workDir,
  log,
  record: (row) => void rows.push(row),
  async scenario(name, work) {
    try {
      await work();
    } catch (error: unknown) {
      errors.push({ bench: name, message: messageOf(error) });
      log(`ERROR in ${name}: ${messageOf(error)}`);
    }
  },
};

const benches: Readonly<Record<BenchName, () => Promise<void>>> = {
  memory: () => runMemoryBench(ctx, args.sizes),
  speed: () =>
    runWholeRunBench(
      ctx,
      args.quick
        ? { seconds: 5, calmRecords: 50_000, bareConcurrency: [8], slowPages: 100, demoRecords: 10_000 }
        : { seconds: 30, calmRecords: 1_000_000, bareConcurrency: [4, 8, 16], slowPages: 1000, demoRecords: 100_000 },
    ),
  stream: async () => {
    // The page stream alone (test/bench/streamBench.ts); --quick runs one short scenario of it.
    const streamRows = await runStreamBench({
      windowSeconds: args.quick ? 5 : 25,
      log,
      ...(args.quick ? { only: ['flaky R=10 headers on'] } : {}),
    });
    for (const row of streamRows) ctx.record(streamRow(row));
  },
};

try {
  for (const name of args.only) {
    log(`\n== ${name} ==`);
    await ctx.scenario(name, benches[name]);
  }
} finally {
  await s3.close();
  await rm(workDir, { recursive: true, force: true });
}

const results: BenchResults = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  args,
  machine: {
    cpus: cores,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: totalmem() / 1024 ** 3,
    node: process.versions.node,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart,
  },
  rows,
  errors,
};
log(`\n${renderTable(rows)}`);
for (const e of errors) log(`ERROR ${e.bench}: ${e.message}`);
const written = await writeBenchResults(join(repoRoot, 'data', 'bench'), results);
log(`\nwritten: ${written.map((p) => p.replace(repoRoot, '')).join(', ')}`);
// Targets missed are results; a benchmark that could not run is a failure.
process.exit(errors.length > 0 ? 1 : 0);
