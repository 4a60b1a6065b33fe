import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, startSimulator, type RunningSimulator, type StartSimulatorOptions } from '../../src/simulator/index.js';
import { createBucket, s3ClientFor, type S3Target } from '../crash/crashWorld.js';
import { runArgs, spawnIngest, type IngestExit } from '../crash/ingestProcess.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';
import { startS3Proxy, type FaultPlan, type RunningS3Proxy, type S3Operation } from '../support/startS3Proxy.js';

/** Distinctive values that must never be written anywhere. */
const PASSWORD = 'pw-CANARY-b7f3e91c-Login';
const WRONG_PASSWORD = 'pw-CANARY-0c2d55aa-Wrong';
const AWS_SECRET = 'awsSecretCANARYq8R2x7LmP4vT9nK3wZ5yJ6hB1cD';
const AWS_SESSION = 'awsSessionCANARY-5e8a1f0b9c3d7e2a';
const JWT_SECRET = 'jwt-signing-CANARY-a41b7c';
/** A static token the simulator accepts (signed with its key) that expires long after the test. */
const TOKEN = signToken({ sub: 'demo', iat: 1_700_000_000, exp: 4_100_000_000, jti: 'static-CANARY' }, JWT_SECRET);
const TOKEN_SIGNATURE = TOKEN.split('.')[2]!;

const canaries: Readonly<Record<string, string>> = {
  password: PASSWORD,
  'wrong password': WRONG_PASSWORD,
  'AWS secret key': AWS_SECRET,
  'AWS session token': AWS_SESSION,
  'static token': TOKEN,
  'static token signature': TOKEN_SIGNATURE,
};

const BUCKET = 'canary';
const RECORDS = 3000;

/** A hostile-ish API: faults of every kind, tokens of a second (so the password is sent again and again). */
const hostile: StartSimulatorOptions = {
  profile: 'flaky',
  seed: 27,
  records: RECORDS,
  password: PASSWORD,
  jwtSecret: JWT_SECRET,
  tokenLifetimeSeconds: 1,
  rateLimit: 20,
  rateLimitBurst: 4,
  latency: { kind: 'uniform', minMs: 5, maxMs: 40 },
  serverErrorRate: 0.06,
  unavailableRate: 0.04,
  unavailableRetryAfterMaxSeconds: 1,
  resetRate: 0.02,
  truncateRate: 0.02,
  wrongContentRate: 0.02,
  dirtyRate: 0.1,
  duplicateRate: 0.02,
};

/** The first request of each of these operations fails: the SDK retries it. */
function s3Faults(): FaultPlan {
  const seen = new Map<S3Operation, number>();
  const failFirst: ReadonlySet<S3Operation> = new Set(['HeadObject', 'PutObject', 'GetObject', 'CreateMultipartUpload', 'UploadPart']);
  return ({ operation }) => {
    const n = (seen.get(operation) ?? 0) + 1;
    seen.set(operation, n);
    if (!failFirst.has(operation) || n > 1) return undefined;
    return operation === 'PutObject' ? 'reset' : n % 2 === 0 ? 500 : 503;
  };
}

interface Run {
  readonly name: string;
  readonly dir: string;
  readonly runId: string;
  readonly sim: RunningSimulator;
  readonly exit: IngestExit;
}

let moto: RunningMoto;
let proxy: RunningS3Proxy;
let target: S3Target;
let client: S3Client;
const simulators: RunningSimulator[] = [];
const runs: Run[] = [];

async function ingest(name: string, env: Record<string, string>, extra: readonly string[], format: 'parquet' | 'ndjson'): Promise<Run> {
  const sim = await startSimulator(hostile);
  simulators.push(sim);
  const dir = await mkdtemp(join(tmpdir(), `ingest-secrets-${name}-`));
  const runId = `secrets-${name}`;
  const args = runArgs({
    apiUrl: sim.url,
    s3Endpoint: target.endpoint,
    bucket: BUCKET,
    runId,
    prefix: `secrets/${name}`,
    format,
    checksum: 'SHA256',
    pageSize: 100,
    extra: ['--log-level', 'debug', '--max-wait-seconds', '5', ...extra],
  });
  const exit = await spawnIngest(args, {
    cwd: dir,
    env: { AWS_ACCESS_KEY_ID: 'AKIACANARYKEYID00001', AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: AWS_SESSION, ...env },
  }).exit;
  return { name, dir, runId, sim, exit };
}

beforeAll(async () => {
  moto = await startMoto();
  target = { endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIACANARYKEYID00001', secretAccessKey: AWS_SECRET } };
  await createBucket(target, BUCKET);
  proxy = await startS3Proxy(moto.endpoint, s3Faults());
  target = { ...target, endpoint: proxy.endpoint };
  client = s3ClientFor({ endpoint: moto.endpoint, credentials: target.credentials });
  runs.push(
    ...(await Promise.all([
      ingest('login', { INGEST_PASSWORD: PASSWORD }, [], 'parquet'),
      ingest('bearer', { INGEST_TOKEN: TOKEN }, ['--auth', 'bearer'], 'ndjson'),
      ingest('wrong-password', { INGEST_PASSWORD: WRONG_PASSWORD }, [], 'parquet'),
    ])),
  );
}, 180_000);

afterAll(async () => {
  client?.destroy();
  await Promise.all(simulators.map((s) => s.close()));
  await proxy?.close();
  await moto?.close();
  await Promise.all(runs.map((r) => rm(r.dir, { recursive: true, force: true })));
});

/** Every artifact, as text: the raw bytes, and for DuckDB and Parquet files their decoded contents too. */
interface Artifact {
  readonly where: string;
  readonly text: string;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** Compressed formats hide a string from a byte scan: decode their every value through DuckDB. */
async function decoded(path: string): Promise<string | undefined> {
  const isDuckdb = path.endsWith('.duckdb');
  if (!isDuckdb && !path.endsWith('.parquet')) return undefined;
  const instance = await DuckDBInstance.create(isDuckdb ? path : ':memory:', isDuckdb ? { access_mode: 'READ_ONLY' } : {});
  const conn = await instance.connect();
  try {
    const tables = isDuckdb
      ? (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables()`)).getRows().map((row) => `"${String(row[0])}"`)
      : [`read_parquet('${path}')`];
    const parts: string[] = [];
    for (const table of tables) {
      const rows = (await conn.runAndReadAll(`SELECT * FROM ${table}`)).getRowObjectsJson();
      parts.push(JSON.stringify(rows));
    }
    return parts.join('\n');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function fileArtifacts(run: Run, under: string): Promise<Artifact[]> {
  const root = join(run.dir, under);
  const artifacts: Artifact[] = [];
  for (const path of filesUnder(root)) {
    const where = `${run.name}:${relative(run.dir, path)}`;
    artifacts.push({ where, text: readFileSync(path).toString('latin1') });
    const contents = await decoded(path);
    if (contents !== undefined) artifacts.push({ where: `${where} (decoded)`, text: contents });
  }
  return artifacts;
}

async function objectArtifacts(): Promise<Artifact[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  const artifacts: Artifact[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'ingest-secrets-objects-'));
  try {
    for (const { Key: key } of listed.Contents ?? []) {
      if (key === undefined) continue;
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      const { $metadata: _, ...headers } = head;
      artifacts.push({ where: `s3 head ${key}`, text: JSON.stringify(headers) });
      const body = await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray();
      artifacts.push({ where: `s3 object ${key}`, text: Buffer.from(body).toString('latin1') });
      if (key.endsWith('.parquet')) {
        const local = join(scratch, 'object.parquet');
        await writeFile(local, body);
        artifacts.push({ where: `s3 object ${key} (decoded)`, text: (await decoded(local)) ?? '' });
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return artifacts;
}

/** Which canary shows up where: empty when nothing leaked. */
function leaks(artifacts: readonly Artifact[]): string[] {
  return artifacts.flatMap(({ where, text }) =>
    Object.entries(canaries)
      .filter(([, value]) => text.includes(value))
      .map(([name]) => `${name} in ${where}`),
  );
}

const byName = (name: string): Run => runs.find((r) => r.name === name)!;

describe('reliability row 27: a canary secret appears in no artifact', () => {
  it('the runs really went through faults and used every secret', () => {
    expect(byName('login').exit.code, byName('login').exit.stderr).toBe(0);
    expect(byName('bearer').exit.code, byName('bearer').exit.stderr).toBe(0);
    expect(byName('wrong-password').exit.code).toBe(1);
    expect(byName('wrong-password').exit.stderr).toMatch(/login refused .*HTTP 401; check the username and password/);
    // Faults on both sides, token refreshes, and debug-level console logs.
    const stats = ['login', 'bearer'].map((name) => byName(name).sim.stats());
    expect(stats.map((s) => Object.values(s.faults).reduce((a, b) => a + b, 0) > 0)).toEqual([true, true]);
    // Tokens of a second: the password went out in many logins.
    expect(stats[0]!.logins.succeeded).toBeGreaterThan(1);
    expect(proxy.requests.filter((r) => r.injected).length).toBeGreaterThan(0);
    // The session token went over the wire with every signed request (the secret key signs them).
    expect(proxy.requests.every((r) => r.headers['x-amz-security-token'] === AWS_SESSION)).toBe(true);
    expect(byName('login').exit.stderr).toMatch(/"level":20/);
  });

  it('not on the console (stdout and stderr at debug level)', () => {
    const artifacts = runs.flatMap((r) => [
      { where: `${r.name}: stdout`, text: r.exit.stdout },
      { where: `${r.name}: stderr`, text: r.exit.stderr },
    ]);
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in any file left in the working directory of a run (data, logs, anything else)', async () => {
    const artifacts = (await Promise.all(runs.map((r) => fileArtifacts(r, '.')))).flat();
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in the log files', async () => {
    const artifacts = (await Promise.all(runs.map((r) => fileArtifacts(r, 'logs')))).flat();
    expect(artifacts.length).toBeGreaterThan(0);
    // The failed run logged its failure to the file: the scan reads real lines.
    expect(artifacts.some((a) => a.where.startsWith('wrong-password') && a.text.includes('"level":50'))).toBe(true);
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in the local reports (JSON, Markdown, HTML)', async () => {
    const artifacts = (await Promise.all(runs.map((r) => fileArtifacts(r, 'data/reports')))).flat();
    expect(artifacts.filter((a) => /\.report\.(json|md|html)$/.test(a.where))).toHaveLength(9);
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in the staging database, raw bytes or decoded', async () => {
    const artifacts = (await Promise.all(runs.map((r) => fileArtifacts(r, 'data/staging')))).flat();
    // The decoded contents are real: every run id is in its own database.
    for (const run of runs.filter((r) => r.exit.code === 0)) {
      expect(artifacts.some((a) => a.where.startsWith(run.name) && a.where.endsWith('(decoded)') && a.text.includes(run.runId))).toBe(true);
    }
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in the output files', async () => {
    const artifacts = (await Promise.all(runs.map((r) => fileArtifacts(r, 'data/output')))).flat();
    expect(artifacts.some((a) => a.where.endsWith('.parquet (decoded)') && a.text.includes('secrets-login'))).toBe(true);
    expect(leaks(artifacts)).toEqual([]);
  });

  it('not in any stored object (data and reports) or its metadata', async () => {
    const artifacts = await objectArtifacts();
    // Two data objects and two reports of the successful runs, one report of the failed one.
    expect(artifacts.filter((a) => a.where.startsWith('s3 head')).length).toBeGreaterThanOrEqual(4);
    expect(artifacts.some((a) => a.where.startsWith('s3 head') && a.text.includes('secrets-bearer'))).toBe(true);
    expect(leaks(artifacts)).toEqual([]);
  });
});
