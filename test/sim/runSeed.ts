import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RunConfigInput } from '../../src/config/runConfig.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunReport } from '../../src/report/runReport.js';
import { seededRandom } from '../../src/runtime/random.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { faultKinds, resolveSimulatorOptions, type FaultKind, type SimulatorOptions } from '../../src/simulator/index.js';
import { Stream, unitHash } from '../../src/simulator/hash.js';
import {
  checkLoginCounters,
  checkRecordCounters,
  checkReportAddsUp,
  checkRequestCounters,
  checkRetryAfter,
  checkTokens,
  staleTokenSends,
} from './checks.js';
import { formatLog, loggedSimulator } from './requestLog.js';
import { drawScenario, faultsOff, type Scenario, type SimProfile } from './scenario.js';
import { verifyOutput } from './verifyOutput.js';

/** Where a seed delivers: the campaign's one S3-compatible server. */
export interface SeedEnv {
  readonly s3Endpoint: string;
  readonly s3Credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly bucket: string;
  /** Scratch directory; each seed works in its own subdirectory, removed when it passes. */
  readonly workDir: string;
  /** Distinguishes campaigns sharing a bucket. */
  readonly campaignId: string;
  /** Keep the seed's files and objects even when it passes (the determinism test reads them). */
  readonly keep?: boolean;
  /** Print each run's request log (a single-seed replay). */
  readonly trace?: boolean;
}

/** One seed's outcome: what failed (empty when it passed) and numbers for the summary. */
export interface SeedResult {
  readonly seed: number;
  readonly profile: SimProfile;
  readonly problems: readonly string[];
  /** `succeeded` at once, `recovered` by the rerun after a clear failure, or `broken`. */
  readonly outcome: 'succeeded' | 'recovered' | 'broken';
  readonly records: number;
  readonly virtualMs: number;
  readonly wallMs: number;
  /** Wall time inside `runIngestion` (the product), the rest being the checks. */
  readonly runWallMs: number;
  readonly requests: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly staleTokenSends: number;
  /** The first run's failure sentence, when it failed. */
  readonly error?: string;
  readonly report?: RunReport;
}

const START = Date.UTC(2026, 0, 1);
const INGEST_DATE = '2026-01-01';

let s3Client: S3Client | undefined;
function s3For(env: SeedEnv): S3Client {
  s3Client ??= new S3Client({ endpoint: env.s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: env.s3Credentials });
  return s3Client;
}

/** Source duplicates over every page: the simulator repeats record `id - limit` after `id` by a rule of (seed, id). */
function sourceDuplicates(options: SimulatorOptions, pageSize: number): number {
  const o = resolveSimulatorOptions(options);
  let n = 0;
  if (o.duplicateRate > 0)
    for (let id = pageSize + 1; id <= o.records; id++) if (unitHash(o.seed, id, Stream.customerDuplicate) < o.duplicateRate) n++;
  return n;
}

async function objectKeys(env: SeedEnv, prefix: string): Promise<string[]> {
  const listed = await s3For(env).send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: `${prefix}/` }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

/** Committed pages in the staging database, read before the rerun. */
async function committedPages(stagingPath: string, runId: string): Promise<Set<number>> {
  const db = await DuckDBInstance.create(stagingPath, { access_mode: 'READ_ONLY', threads: '1' });
  try {
    const conn = await db.connect();
    const reader = await conn.runAndReadAll(`SELECT page FROM pages WHERE run_id = '${runId}'`);
    conn.closeSync();
    return new Set(reader.getRows().map(([p]) => Number(p)));
  } finally {
    db.closeSync();
  }
}

/** A successful run's deliverable: the file equals the source, the one data object equals the file. */
async function checkDelivery(report: RunReport, scenario: Scenario, env: SeedEnv, prefix: string): Promise<string[]> {
  const problems: string[] = [];
  const output = report.output;
  if (!output) return ['a succeeded run without output in its report'];
  // ETL changes values by its rules: the records' exact values are checked in ELT seeds.
  if (scenario.transform === 'none') problems.push(...(await verifyOutput(output.path, scenario.format, scenario.simulator)));
  const local = createHash('sha256')
    .update(await readFile(output.path))
    .digest('hex');
  if (local !== output.sha256) problems.push(`the local file's sha256 ${local} != report.output.sha256 ${output.sha256}`);
  const uri = report.delivery?.uri ?? '';
  const key = uri.replace(`s3://${env.bucket}/`, '');
  const data = (await objectKeys(env, prefix)).filter((k) => !k.startsWith(`${prefix}/_reports/`) && !k.startsWith(`${prefix}/_schemas/`));
  if (data.length !== 1 || data[0] !== key) problems.push(`expected exactly one data object ${key}, found [${data.join(', ')}]`);
  const object = await s3For(env).send(new GetObjectCommand({ Bucket: env.bucket, Key: key }));
  const stored = createHash('sha256')
    .update(await object.Body!.transformToByteArray())
    .digest('hex');
  if (stored !== output.sha256) problems.push(`the stored object's sha256 ${stored} != the file's ${output.sha256}`);
  const duplicates = sourceDuplicates(scenario.simulator, scenario.pageSize);
  const { records } = scenario.simulator;
  const r = report.records;
  // A record the cleaning rules reject is one of the unique records: kept aside, counted once.
  const rejectedOk = scenario.transform === 'clean' ? output.rows + r.rejected === records : r.rejected === 0;
  if (r.unique !== records || r.duplicates !== duplicates || r.received !== records + duplicates || r.withoutKey !== 0 || !rejectedOk) {
    problems.push(
      `report.records ${JSON.stringify(r)} (rows ${output.rows}) != the source's {unique: ${records}, duplicates: ${duplicates}, received: ${records + duplicates}, withoutKey: 0} with rows + rejected = unique`,
    );
  }
  return problems;
}

/** One whole run against `options`, under its own simulated clock starting at `start`. */
async function simulatedRun(config: RunConfigInput, options: SimulatorOptions, seed: number, start: number, env: SeedEnv) {
  const wallStart = performance.now();
  const clock = new SimulatedClock(start);
  const api = loggedSimulator(options, clock);
  let report: RunReport | undefined;
  let thrown: unknown;
  try {
    report = await clock.run(() =>
      runIngestion(
        { ...config, apiUrl: api.url },
        { runtime: { clock, random: seededRandom(seed), fetch: api.fetch }, s3Credentials: env.s3Credentials },
      ),
    );
  } catch (error: unknown) {
    thrown = error;
  }
  if (env.trace) {
    process.stdout.write(`${formatLog(api.requests, start).join('\n')}\n`);
    process.stdout.write(
      `report: ${report?.status ?? 'none'} ${report?.error ?? ''}\n  requests ${JSON.stringify(report?.requests)}\n  records ${JSON.stringify(report?.records)}\n`,
    );
  }
  return { clock, api, report, thrown, start, wallMs: performance.now() - wallStart };
}

type Run = Awaited<ReturnType<typeof simulatedRun>>;

/** The invariants every run keeps, succeeded or failed. */
function checkRun(run: Run, label: string): string[] {
  const { report, api, start } = run;
  if (!report) return [`${label}: runIngestion rejected instead of reporting: ${String(run.thrown)}`];
  const stats = api.simulator.stats();
  const problems = [
    ...checkRequestCounters(report, stats, api.requests),
    ...checkRetryAfter(api.requests, start),
    ...checkTokens(api.requests, start),
    ...checkReportAddsUp(report),
    ...(report.status === 'succeeded' ? checkLoginCounters(report, api.requests) : []),
  ];
  // Row 27: no secret in the report, the failure sentence included.
  const text = JSON.stringify(report);
  const secrets = ['demo-password', ...api.requests.flatMap((r) => (r.issued ? [r.issued.value] : []))];
  if (secrets.some((secret) => text.includes(secret))) problems.push('the report holds the password or a token');
  return problems.map((p) => `${label}: ${p}`);
}

/**
 * Runs seed `seed` of `profile`: a whole run (machine, stream, staging, output, upload) against
 * the in-memory simulator under a simulated clock, then its invariants. A run that fails
 * clearly is rerun with the same run id and every fault off, and must then succeed.
 */
export async function runSeed(seed: number, profile: SimProfile, env: SeedEnv): Promise<SeedResult> {
  const wallStart = performance.now();
  const scenario = drawScenario(seed, profile);
  const runId = `${profile}-${seed}`;
  const prefix = `${env.campaignId}/${profile}/seed-${seed}`;
  const dataDir = join(env.workDir, runId);
  const config: RunConfigInput = {
    apiUrl: 'http://simulator.invalid',
    username: 'demo',
    password: 'demo-password',
    bucket: env.bucket,
    prefix,
    s3Endpoint: env.s3Endpoint,
    s3ForcePathStyle: true,
    dataDir,
    format: scenario.format,
    transform: scenario.transform,
    runId,
    ingestDate: INGEST_DATE,
    pageSize: scenario.pageSize,
    maxAttemptsPerPage: scenario.maxAttemptsPerPage,
  };
  const problems: string[] = [];
  const first = await simulatedRun(config, scenario.simulator, seed, START, env);
  problems.push(...checkRun(first, 'run'));
  let final: Run = first;
  let outcome: SeedResult['outcome'] = 'broken';
  const report = first.report;
  if (report?.status === 'succeeded') {
    problems.push(...checkRecordCounters(report, first.api.simulator.stats(), first.api.requests).map((p) => `run: ${p}`));
    outcome = 'succeeded';
  } else if (report?.status === 'failed') {
    if (typeof report.error !== 'string' || report.error.trim().length < 10)
      problems.push(`run: failed without an error sentence (${JSON.stringify(report.error)})`);
    const data = (await objectKeys(env, prefix)).filter(
      (k) => !k.startsWith(`${prefix}/_reports/`) && !k.startsWith(`${prefix}/_schemas/`),
    );
    if (data.length > 0) problems.push(`run: failed yet left data objects [${data.join(', ')}]`);
    const committed = await committedPages(join(dataDir, 'staging', 'customers', `${runId}.duckdb`), runId);
    final = await simulatedRun(config, faultsOff(scenario), seed, first.clock.now(), env);
    problems.push(...checkRun(final, 'rerun'));
    const refetched = final.api.requests.filter((r) => r.path === '/customers' && r.page !== undefined && committed.has(r.page));
    if (refetched.length > 0)
      problems.push(`rerun: fetched committed pages again: ${[...new Set(refetched.map((r) => r.page))].slice(0, 10).join(', ')}`);
    if (final.report?.status === 'succeeded') {
      outcome = 'recovered';
      if (committed.size > 0 && !final.report.resumed)
        problems.push('rerun: resumed from committed pages but its report says resumed: false');
    } else if (final.report)
      problems.push(`rerun: with every fault off, the rerun did not succeed: ${final.report.error ?? final.report.status}`);
  }
  if (final.report?.status === 'succeeded') problems.push(...(await checkDelivery(final.report, scenario, env, prefix)));
  if (problems.length > 0) outcome = 'broken';

  if (problems.length === 0 && !env.keep) {
    await rm(dataDir, { recursive: true, force: true });
    const keys = await objectKeys(env, prefix);
    if (keys.length > 0)
      await s3For(env).send(new DeleteObjectsCommand({ Bucket: env.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }
  const stats = first.api.simulator.stats();
  const faults = Object.fromEntries(
    faultKinds.map((k) => [k, stats.faults[k] + (final !== first ? final.api.simulator.stats().faults[k] : 0)]),
  ) as Record<FaultKind, number>;
  return {
    seed,
    profile,
    problems,
    outcome,
    records: scenario.simulator.records,
    virtualMs: final.clock.now() - START,
    wallMs: performance.now() - wallStart,
    runWallMs: first.wallMs + (final !== first ? final.wallMs : 0),
    requests: first.api.requests.length + (final !== first ? final.api.requests.length : 0),
    faults,
    staleTokenSends: staleTokenSends(first.api.requests),
    ...(report?.status === 'failed' && report.error ? { error: report.error } : {}),
    ...(final.report ? { report: final.report } : {}),
  };
}
