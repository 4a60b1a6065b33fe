import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';
import { startS3Proxy, type ProxiedRequest, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { getObjectBytes, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, silentLogger } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';

// moto keeps checksums and lists multipart uploads, which s3rver cannot. Without the python
// crc32c package it stores a CRC-32 under the CRC32C name for a multipart upload: the runs with
// the default checksum show that a correct object is kept anyway (proven by its bytes).
const SIM = { profile: 'calm', records: 900, seed: 13, duplicateRate: 0.02 } as const;
// About 7 MiB of NDJSON: two parts of 5 or 6 MiB.
const BIG = { profile: 'calm', records: 16_000, seed: 14 } as const;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

let moto: RunningMoto;
let sim: RunningSimulator;
let big: RunningSimulator;
let proxy: RunningS3Proxy;
let client: S3Client;
let dataDir: string;

beforeAll(async () => {
  moto = await startMoto();
  [sim, big, proxy] = await Promise.all([startSimulator(SIM), startSimulator(BIG), startS3Proxy(moto.endpoint)]);
  // Reads compare bytes, so the SDK must not check them against moto's CRC32C header.
  client = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: 'lake' }));
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-moto-'));
});
afterAll(async () => {
  client?.destroy();
  await sim?.close();
  await big?.close();
  await proxy?.close();
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
    const key = `customers/ingest_date=${INGEST_DATE}/customers_${runId}.parquet`;
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

  const bigRun = (runId: string, s3PartSizeMb: number) =>
    runIngestion(
      {
        apiUrl: big.url,
        username: 'demo',
        password: 'demo-password',
        bucket: 'lake',
        s3Endpoint: proxy.endpoint,
        s3ForcePathStyle: true,
        dataDir,
        ingestDate: INGEST_DATE,
        runId,
        // Its own partition: one per run id.
        prefix: runId,
        pageSize: 1000,
        rateLimit: 200,
        format: 'ndjson',
        s3PartSizeMb,
      },
      { s3Credentials: credentials, runtime: { logger: silentLogger } },
    );

  it('reliability row 33: a multipart upload (s3PartSizeMb 6) with the default checksum (CRC32C) is delivered and kept: the object is the local file', async () => {
    const report = await bigRun('moto-crc32c', 6);
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const parts = proxy.requests.filter((r) => r.operation === 'UploadPart');
    expect(parts).toHaveLength(2);
    // s3PartSizeMb: the first part is 6 MiB, not the default 5.
    const sizeOf = (h: ProxiedRequest['headers']): number => Number(h['x-amz-decoded-content-length'] ?? h['content-length']);
    expect(sizeOf(parts.find((r) => /[?&]partNumber=1(&|$)/.test(r.path))!.headers)).toBe(6 * 1024 * 1024);
    expect(report.delivery?.verifiedBy).toBe(moto.crc32cCorrect ? 'serverChecksum' : 'readBack');
    const key = `moto-crc32c/customers/ingest_date=${INGEST_DATE}/customers_moto-crc32c.ndjson`;
    const local = await readFile(report.output!.path);
    expect(local.length).toBeGreaterThan(5 * 1024 * 1024);
    expect((await getObjectBytes(client, 'lake', key)).equals(local)).toBe(true);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: 'lake' }))).Uploads ?? []).toEqual([]);
  });

  it('reliability row 33: a store that keeps other bytes than were sent: the object is found wrong by its bytes, removed, and the run fails', async () => {
    proxy.setCorrupt(({ operation, path }) => operation === 'UploadPart' && path.includes('partNumber=2'));
    try {
      const report = await bigRun('moto-corrupt', 5);
      expect(report.status).toBe('failed');
      expect(report.error).toMatch(
        /does not match the local file \(.*reading the stored object back gave \d+ bytes with another sha256.*\); it was removed/,
      );
      expect(await listKeys(client, 'lake', `moto-corrupt/customers/ingest_date=${INGEST_DATE}/customers_moto-corrupt`)).toEqual([]);
    } finally {
      proxy.setCorrupt(undefined);
    }
  });
});
