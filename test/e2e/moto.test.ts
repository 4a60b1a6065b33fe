import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';
import { listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, silentLogger } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';

// moto keeps checksums and lists multipart uploads, which s3rver cannot; SHA256 because this
// moto stores CRC-32 under the CRC32C name (no python crc32c package).
const SIM = { profile: 'calm', records: 900, seed: 13, duplicateRate: 0.02 } as const;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

let moto: RunningMoto;
let sim: RunningSimulator;
let client: S3Client;
let dataDir: string;

beforeAll(async () => {
  moto = await startMoto();
  sim = await startSimulator(SIM);
  client = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-moto-'));
});
afterAll(async () => {
  client?.destroy();
  await sim?.close();
  await moto?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('delivery to a store that keeps checksums (moto)', () => {
  it('one object whose stored SHA-256 is the local file’s, no unfinished multipart upload (the bucket probe too)', async () => {
    const runId = 'moto';
    const report = await runIngestion(
      {
        apiUrl: sim.url,
        username: 'demo',
        password: 'demo-password',
        bucket: 'lake',
        s3Endpoint: moto.endpoint,
        s3ForcePathStyle: true,
        dataDir,
        ingestDate: INGEST_DATE,
        runId,
        pageSize: 150,
        checksum: 'SHA256',
      },
      { s3Credentials: credentials, runtime: { logger: silentLogger } },
    );
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const key = `customers/ingest_date=${INGEST_DATE}/${runId}.parquet`;
    expect(await listKeys(client, 'lake', 'customers/')).toEqual([key]);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }))).Uploads ?? []).toEqual([]);

    const head = await client.send(new HeadObjectCommand({ Bucket: 'lake', Key: key, ChecksumMode: 'ENABLED' }));
    const local = await readFile(report.output!.path);
    expect(head.ChecksumSHA256).toBe(createHash('sha256').update(local).digest('base64'));
    expect(head.ContentLength).toBe(local.length);
    expect(head.Metadata?.['sha256']).toBe(report.output?.sha256);
    const object = await readDelivered(client, 'lake', key, 'parquet');
    expect(eltDifferences(object.rows, 'parquet', oracleById(SIM), runId)).toEqual([]);
  });
});
