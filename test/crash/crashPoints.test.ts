import { existsSync, readFileSync } from 'node:fs';
import { HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashPointNames, type CrashPointName } from '../../src/faults/crashPoint.js';
import type { RunReport } from '../../src/report/runReport.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { childEnv, crashWorld, createBucket, dataPagesSince, pagesExcept, s3ClientFor, type S3Target } from './crashWorld.js';
import { runArgs, spawnIngest, type IngestExit } from './ingestProcess.js';
import { deliveredOnce, deliveryFacts, keysInPartition, runLocations, stagingFacts, tempFilesBeside, type Format } from './runFacts.js';

const RECORDS = 3000;
const PAGE_SIZE = 250;
const PAGES = RECORDS / PAGE_SIZE;
const MOTO = { accessKeyId: 'moto-key', secretAccessKey: 'moto-secret' } as const;

let s3rver: RunningS3rver;
let moto: RunningMoto;
let s3rverTarget: S3Target;
let motoTarget: S3Target;

beforeAll(async () => {
  [s3rver, moto] = await Promise.all([startS3rver({ bucket: 'crash' }), startMoto()]);
  s3rverTarget = { endpoint: s3rver.endpoint, credentials: s3rver.credentials };
  motoTarget = { endpoint: moto.endpoint, credentials: MOTO };
});

afterAll(async () => {
  await Promise.all([s3rver?.close(), moto?.close()]);
});

interface Scenario {
  readonly point: CrashPointName;
  /** `INGEST_CRASH_AT` value. */
  readonly crashAt: string;
  readonly store: 'moto' | 's3rver';
  readonly format: Format;
  readonly records: number;
  readonly extra?: readonly string[];
}

interface CrashContext {
  readonly crashed: IngestExit;
  readonly where: ReturnType<typeof runLocations>;
  readonly client: S3Client;
  readonly bucket: string;
}

/** Runs `ingest run` with the crash point armed, then again without it, in one scratch world. */
async function crashThenRerun(
  scenario: Scenario,
  afterCrash: (ctx: CrashContext) => Promise<void>,
  afterRerun?: (ctx: CrashContext) => Promise<void>,
) {
  const world = await crashWorld(scenario.point, { seed: 18, records: scenario.records });
  const target = scenario.store === 'moto' ? motoTarget : s3rverTarget;
  const bucket = scenario.store === 'moto' ? `crash-${scenario.point.replace('.', '-').toLowerCase()}` : 'crash';
  if (scenario.store === 'moto') await createBucket(target, bucket);
  const client = s3ClientFor(target);
  const runId = `crash-${scenario.point.replace('.', '-')}`;
  const prefix = `crash/${scenario.point}`;
  const args = runArgs({
    prefix,
    apiUrl: world.apiUrl,
    s3Endpoint: target.endpoint,
    bucket,
    runId,
    format: scenario.format,
    pageSize: PAGE_SIZE,
    ...(scenario.extra ? { extra: scenario.extra } : {}),
  });
  const where = runLocations(`${world.dir}/data`, runId, scenario.format, prefix);
  try {
    const crashed = await spawnIngest(args, { cwd: world.dir, env: childEnv(target, { INGEST_CRASH_AT: scenario.crashAt }) }).exit;
    // Killed by its own SIGKILL at the point: no exit code, no summary, nothing flushed.
    expect({ signal: crashed.signal, code: crashed.code, stdout: crashed.stdout }, crashed.stderr).toEqual({
      signal: 'SIGKILL',
      code: null,
      stdout: '',
    });
    const staged = await stagingFacts(where.staging);
    expect({ torn: staged.torn, orphans: staged.orphans }).toEqual({ torn: [], orphans: [] });
    await afterCrash({ crashed, where, client, bucket });

    const asked = world.pagesRequested.length;
    const rerun = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(readFileSync(where.report, 'utf8')) as RunReport;
    expect(report.status).toBe('succeeded');
    const after = await stagingFacts(where.staging);
    expect({ ...after, committed: after.committed.filter((page) => !after.empty.includes(page)), empty: [] }).toEqual({
      committed: Array.from({ length: scenario.records / PAGE_SIZE }, (_, i) => i + 1),
      torn: [],
      orphans: [],
      empty: [],
      rows: scenario.records,
    });
    expect(tempFilesBeside(where.output)).toEqual([]);
    const facts = await deliveryFacts(client, {
      bucket,
      key: where.key,
      format: scenario.format,
      oracle: world.oracle,
      scratchDir: world.dir,
    });
    expect(facts).toEqual(deliveredOnce(where.key, scenario.records, scenario.store === 'moto' ? 0 : 'unsupported'));
    await afterRerun?.({ crashed, where, client, bucket });
    return { staged, rerunPages: dataPagesSince(world, asked, scenario.records / PAGE_SIZE), report, rerun, where, client, bucket };
  } finally {
    client.destroy();
    await world.close();
  }
}

describe.concurrent('reliability row 18: kill -9 at each named crash point, then a rerun without it', { timeout: 240_000 }, () => {
  it('names exactly the five documented points', () => {
    expect([...crashPointNames]).toEqual([
      'staging.midPage',
      'staging.afterCommit',
      'output.midWrite',
      'upload.midMultipart',
      'upload.afterUpload',
    ]);
  });

  it('staging.midPage: the page being staged leaves no trace; the rerun fetches it and the rest once', async () => {
    const result = await crashThenRerun(
      { point: 'staging.midPage', crashAt: 'staging.midPage:3', store: 's3rver', format: 'parquet', records: RECORDS },
      async ({ where }) => {
        expect(existsSync(where.output)).toBe(false);
      },
    );
    // The transaction staging the third page died: the pages of earlier ones (one page or more each) are committed.
    expect(result.staged.committed.length).toBeLessThanOrEqual(2);
    expect(result.rerunPages).toEqual(pagesExcept(PAGES, result.staged.committed));
    expect(result.report.pages.skippedOnResume).toBe(result.staged.committed.length);
  });

  it('staging.afterCommit: a committed page that the stream never heard of is not fetched or staged again', async () => {
    const result = await crashThenRerun(
      { point: 'staging.afterCommit', crashAt: 'staging.afterCommit:3', store: 's3rver', format: 'parquet', records: RECORDS },
      async ({ where }) => {
        expect(existsSync(where.output)).toBe(false);
      },
    );
    // Died after the commit holding the third page (pages waiting together commit together).
    expect(result.staged.committed.length).toBeGreaterThanOrEqual(3);
    expect(result.rerunPages).toEqual(pagesExcept(PAGES, result.staged.committed));
  });

  it('output.midWrite: no file (so no footer-less file) at the final path; the rerun writes it whole from staging', async () => {
    const result = await crashThenRerun(
      { point: 'output.midWrite', crashAt: 'output.midWrite', store: 's3rver', format: 'parquet', records: RECORDS },
      async ({ where, client, bucket }) => {
        expect(existsSync(where.output)).toBe(false);
        // The dead writer's temporary file is there: the crash happened where it says.
        expect(tempFilesBeside(where.output)).toHaveLength(1);
        const facts = await stagingFacts(where.staging);
        expect(facts.rows).toBe(RECORDS);
        expect(await keysInPartition(client, bucket, where.key)).toEqual([]);
      },
      async ({ where }) => {
        // A whole Parquet file: magic at both ends (the footer is written last).
        const bytes = readFileSync(where.output);
        expect([bytes.subarray(0, 4).toString(), bytes.subarray(-4).toString()]).toEqual(['PAR1', 'PAR1']);
      },
    );
    expect(result.rerunPages).toEqual([]);
  });

  it('upload.midMultipart: the dangling multipart upload is aborted and the file delivered once', async () => {
    const records = 14_000; // an NDJSON file of about 6.5 MiB: two 5 MiB parts
    const result = await crashThenRerun(
      {
        point: 'upload.midMultipart',
        crashAt: 'upload.midMultipart',
        store: 'moto',
        format: 'ndjson',
        records,
        extra: ['--s3-part-size-mb', '5'],
      },
      async ({ where, client, bucket }) => {
        const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        expect((pending.Uploads ?? []).map((u) => u.Key)).toEqual([where.key]);
        expect(await keysInPartition(client, bucket, where.key)).toEqual([]);
      },
    );
    expect(result.rerunPages).toEqual([]);
    // The rerun aborted it itself (moto would keep it for ever).
    expect(result.rerun.stderr).toMatch(/"aborted":1,"msg":"aborted unfinished multipart uploads left by an earlier run"/);
    expect(result.report.delivery?.status).toBe('uploaded');
  });

  it('upload.afterUpload: the stored object is recognised as delivered, not uploaded a second time', async () => {
    let stored: Record<string, string | undefined> = {};
    const result = await crashThenRerun(
      { point: 'upload.afterUpload', crashAt: 'upload.afterUpload', store: 'moto', format: 'parquet', records: RECORDS },
      async ({ where, client, bucket }) => {
        stored = await objectVersion(client, bucket, where.key);
        expect(stored['etag']).toBeDefined();
        expect(existsSync(where.report)).toBe(false);
      },
      // The object is read while the client is still open: its ETag and date are unchanged by the rerun.
      async ({ where, client, bucket }) => {
        expect(await objectVersion(client, bucket, where.key)).toEqual(stored);
      },
    );
    expect(result.rerunPages).toEqual([]);
    expect(result.report.delivery?.status).toBe('alreadyDelivered');
  });
});

async function objectVersion(client: S3Client, bucket: string, key: string): Promise<Record<string, string | undefined>> {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { etag: head.ETag, modified: head.LastModified?.toISOString() };
}
