import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import type { RunConfigInput } from '../../../src/config/runConfig.js';
import type { RunIngestionContext } from '../../../src/ingestion/runIngestion.js';
import { startSimulator, type RunningSimulator, type StartSimulatorOptions } from '../../../src/simulator/index.js';
import { startS3rver, type RunningS3rver } from '../../support/startS3rver.js';

export const BUCKET = 'lake';
export const INGEST_DATE = '2026-01-02';

/** The simulator over real HTTP on port 0, s3rver with one bucket, and a temp data directory. */
export interface E2eEnv {
  readonly sim: RunningSimulator;
  readonly simOptions: StartSimulatorOptions;
  readonly s3: RunningS3rver;
  /** A client of the test's own, for reading back what the run delivered. */
  readonly client: S3Client;
  readonly dataDir: string;
  /** Run options for this environment (login as the demo user, path-style, SHA256), plus `overrides`. */
  options(overrides?: Partial<RunConfigInput>): RunConfigInput;
  /** A run context with the s3rver keys and a silent logger, plus `extra`. */
  context(extra?: RunIngestionContext): RunIngestionContext;
  close(): Promise<void>;
}

export const silentLogger = pino({ level: 'silent' });

/** Where a run delivers: s3rver (with the bucket, unless null), a client to read it back, and a temp data directory. */
export interface Lake {
  readonly s3: RunningS3rver;
  readonly client: S3Client;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** The run options that deliver into `lake` (its bucket, the fixed ingest date, SHA256 checksums, its data directory). */
export function lakeRunOptions(
  lake: Lake,
): Pick<RunConfigInput, 'bucket' | 's3Endpoint' | 's3ForcePathStyle' | 'checksum' | 'dataDir' | 'logDir' | 'ingestDate'> {
  return {
    bucket: BUCKET,
    s3Endpoint: lake.s3.endpoint,
    s3ForcePathStyle: true,
    checksum: 'SHA256',
    dataDir: lake.dataDir,
    logDir: join(lake.dataDir, 'logs'),
    ingestDate: INGEST_DATE,
  };
}

export async function startLake(bucket: string | null = BUCKET): Promise<Lake> {
  const s3 = await startS3rver(bucket === null ? {} : { bucket });
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-data-'));
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  return {
    s3,
    client,
    dataDir,
    async close() {
      client.destroy();
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startE2eEnv(simOptions: StartSimulatorOptions, options: Readonly<{ bucket?: string | null }> = {}): Promise<E2eEnv> {
  const sim = await startSimulator(simOptions);
  const lake = await startLake(options.bucket === undefined ? BUCKET : options.bucket);
  const { s3, dataDir } = lake;
  return {
    sim,
    simOptions,
    s3,
    client: lake.client,
    dataDir,
    options: (overrides = {}) => ({
      apiUrl: sim.url,
      username: 'demo',
      password: 'demo-password',
      bucket: BUCKET,
      s3Endpoint: s3.endpoint,
      s3ForcePathStyle: true,
      dataDir,
      ingestDate: INGEST_DATE,
      // s3rver keeps no checksums; delivery verifies by reading back either way.
      checksum: 'SHA256',
      logDir: join(dataDir, 'logs'),
      // A calm API has no limit: say so, rather than spend seconds probing upwards from 2 req/s.
      ...(simOptions.profile === 'calm' ? { rateLimit: 200 } : {}),
      ...overrides,
    }),
    context: (extra = {}) => ({ s3Credentials: s3.credentials, runtime: { logger: silentLogger }, ...extra }),
    async close() {
      await sim.close();
      await lake.close();
    },
  };
}

/** Requests the simulator answered on `/customers`, all statuses. */
export function customerRequests(sim: RunningSimulator): number {
  return Object.values(sim.stats().byEndpoint.customers).reduce((a, b) => a + b, 0);
}
