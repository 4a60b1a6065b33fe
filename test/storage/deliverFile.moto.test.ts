import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UploadError } from '../../src/errors.js';
import { crc32c, crc32cBytes } from '../../src/checksum/crc32c.js';
import { abortStaleUploads, checkBucketAccess, createS3Client, deliverFile, renderKey } from '../../src/storage/index.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';
import { startS3Proxy, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { tempDir, writeTestFile } from '../support/writeTestFile.js';

const MiB = 1024 * 1024;
const bucket = 'moto-deliveries';
const key = renderKey({ prefix: 'raw', dataset: 'customers', ingestDate: '2026-11-28', runId: 'r1', ext: 'parquet' });
let moto: RunningMoto;
let proxy: RunningS3Proxy;
let client: S3Client;
let direct: S3Client;
let dir: string;

async function uploadsInFlight(): Promise<string[]> {
  const out = await direct.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '');
}

async function objectsAt(prefix: string): Promise<string[]> {
  const out = await direct.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

const partNumber = (path: string): number => Number(/[?&]partNumber=(\d+)/.exec(path)?.[1]);

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startS3Proxy(moto.endpoint);
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  client = createS3Client({ endpoint: proxy.endpoint, forcePathStyle: true, credentials, maxAttempts: 3 });
  // The test's own reads compare bytes; they must not trust (and trip over) moto's CRC32C either.
  direct = new S3Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  dir = await tempDir();
});

beforeEach(async () => {
  proxy.setFaults(undefined);
  proxy.setHook(undefined);
  proxy.setCorrupt(undefined);
  proxy.setRewrite(undefined);
  proxy.clear();
  await moto.reset();
  await direct.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  client?.destroy();
  direct?.destroy();
  await proxy?.close();
  await moto?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deliverFile on moto (server-side checksums)', () => {
  it('sends a single-PUT file with its CRC32C, which the store keeps and we verify', async () => {
    const file = await writeTestFile(dir, 'one.parquet', 200_000, 21);
    const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
    const local = crc32cBytes(crc32c(file.content)).toString('base64');
    expect(result).toMatchObject({
      status: 'uploaded',
      verifiedBy: 'serverChecksum',
      parts: 1,
      checksum: { algorithm: 'CRC32C', value: local, type: 'FULL_OBJECT' },
    });
    const put = proxy.requests.find((r) => r.operation === 'PutObject');
    expect(put?.headers['x-amz-checksum-crc32c']).toBe(local);
    expect(put?.headers['if-none-match']).toBe('*');
  });

  it('asks for a FULL_OBJECT CRC32C on a 12 MiB multipart upload with 5 MiB parts and proves the stored object equal', async () => {
    const file = await writeTestFile(dir, 'big.parquet', 12 * MiB, 22);
    const local = crc32cBytes(crc32c(file.content)).toString('base64');
    const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
    // Without Python's crc32c, moto stores a CRC-32 under the CRC32C name: that disagreement is
    // no proof of a wrong object, so the bytes are read back, and they are the local file's.
    expect(result).toMatchObject({
      status: 'uploaded',
      parts: 3,
      verifiedBy: moto.crc32cCorrect ? 'serverChecksum' : 'readBack',
      checksum: { algorithm: 'CRC32C', value: local, type: 'FULL_OBJECT' },
    });
    expect(proxy.count('GetObject')).toBe(moto.crc32cCorrect ? 0 : 1);
    const stored = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(file.content)).toBe(true);
    const create = proxy.requests.find((r) => r.operation === 'CreateMultipartUpload');
    expect(create?.headers['x-amz-checksum-algorithm']).toBe('CRC32C');
    expect(create?.headers['x-amz-checksum-type']).toBe('FULL_OBJECT');
    const partChecksums = proxy.requests
      .filter((r) => r.operation === 'UploadPart')
      .sort((a, b) => partNumber(a.path) - partNumber(b.path))
      .map((r) => r.headers['x-amz-checksum-crc32c']);
    // Each part its own value, the one hashed before the upload (not the whole file's).
    const parts = [0, 1, 2].map((i) => crc32cBytes(crc32c(file.content.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))).toString('base64'));
    expect(partChecksums).toEqual(parts);
    const complete = proxy.requests.find((r) => r.operation === 'CompleteMultipartUpload');
    expect(complete?.headers['x-amz-checksum-crc32c']).toBe(local);
    expect(complete?.headers['x-amz-checksum-type']).toBe('FULL_OBJECT');
    expect(await uploadsInFlight()).toEqual([]);
  });

  it('verifies a SHA256 multipart upload by rebuilding the composite checksum (-N) locally, and reads back equal', async () => {
    const file = await writeTestFile(dir, 'sha.parquet', 11 * MiB, 23);
    // With its writer's sha256, as a run delivers: the parts' checksums come from the upload's own reads.
    const sha256 = createHash('sha256').update(file.content).digest('hex');
    const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, checksum: 'SHA256', sha256 });
    expect(result).toMatchObject({
      status: 'uploaded',
      parts: 3,
      verifiedBy: 'serverCompositeChecksum',
      checksum: { algorithm: 'SHA256', type: 'COMPOSITE' },
    });
    expect(result.checksum.value).toMatch(/^[A-Za-z0-9+/]{43}=(-3)?$/);
    const body = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await body.Body!.transformToByteArray()).equals(file.content)).toBe(true);

    const again = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, checksum: 'SHA256' });
    expect(again).toMatchObject({ status: 'alreadyDelivered', verifiedBy: 'serverCompositeChecksum' });
    expect(proxy.count('CreateMultipartUpload')).toBe(1);
  });

  it('falls back to reading back when the stored composite was made with another part size', async () => {
    const file = await writeTestFile(dir, 'layout.parquet', 11 * MiB, 31);
    await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, checksum: 'SHA256' });
    const again = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 6 * MiB, checksum: 'SHA256' });
    expect(again).toMatchObject({ status: 'alreadyDelivered', verifiedBy: 'readBack' });
    expect(proxy.count('GetObject')).toBe(1);
    expect(proxy.count('CreateMultipartUpload')).toBe(1);
  });

  it('aborts a multipart upload whose part fails for good: no upload left in flight, no object', async () => {
    const file = await writeTestFile(dir, 'fail.parquet', 12 * MiB, 24);
    proxy.setFaults(({ operation, path }) =>
      operation === 'UploadPart' && path.includes('partNumber=2') ? { status: 400, code: 'InvalidPart', message: 'injected' } : undefined,
    );
    const attempt = deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, queueSize: 1 });
    await expect(attempt).rejects.toThrow(UploadError);
    await expect(attempt).rejects.toThrow(/InvalidPart/);
    expect(proxy.count('AbortMultipartUpload')).toBeGreaterThanOrEqual(1);
    expect(await uploadsInFlight()).toEqual([]);
    expect(await objectsAt(key)).toEqual([]);
  });

  it('aborts the unfinished uploads a killed run left at its key, and only those', async () => {
    await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${key}.other` }));
    await expect(abortStaleUploads(client, bucket, key)).resolves.toEqual({ aborted: 2, supported: true });
    expect(await uploadsInFlight()).toEqual([`${key}.other`]);
  });

  it('cleans stale uploads of its key before delivering', async () => {
    await direct.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const file = await writeTestFile(dir, 'resume.parquet', 1000, 25);
    await deliverFile({ client, bucket, key, filePath: file.path });
    expect(await uploadsInFlight()).toEqual([]);
  });

  it('loses a race to another writer without overwriting it (If-None-Match), and refuses', async () => {
    const file = await writeTestFile(dir, 'race.parquet', 5000, 26);
    const rival = await writeTestFile(dir, 'rival.parquet', 5000, 27);
    proxy.setHook(async ({ operation }) => {
      if (operation !== 'PutObject') return;
      proxy.setHook(undefined);
      await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: rival.content }));
    });
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).rejects.toThrow(/Refusing to overwrite/);
    expect(proxy.requests.filter((r) => r.operation === 'PutObject').map((r) => r.outcome)).toEqual([412]);
    const body = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await body.Body!.transformToByteArray()).equals(rival.content)).toBe(true);
  });

  it('says a concurrent writer holds the key when a conditional write fails but nothing is visible', async () => {
    const file = await writeTestFile(dir, 'ghost.parquet', 5000, 32);
    let put = false;
    proxy.setHook(async ({ operation }) => {
      if (operation === 'PutObject' && !put) {
        put = true;
        await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'rival' }));
      } else if (operation === 'HeadObject' && put) {
        await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
    });
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).rejects.toThrow(
      /Another writer is writing .* at the same time: not overwriting it/,
    );
    expect(await objectsAt(key)).toEqual([]);
  });

  it('treats a race won by a writer of the same content as already delivered', async () => {
    const file = await writeTestFile(dir, 'twin.parquet', 5000, 28);
    proxy.setHook(async ({ operation }) => {
      if (operation !== 'PutObject') return;
      proxy.setHook(undefined);
      await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: file.content, ChecksumAlgorithm: 'CRC32C' }));
    });
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).resolves.toMatchObject({
      status: 'alreadyDelivered',
      verifiedBy: 'serverChecksum',
    });
  });

  it('refuses other content of the same size found before uploading, proven by reading it back; never overwrites it', async () => {
    const rival = await writeTestFile(dir, 'first.parquet', 5000, 29);
    const file = await writeTestFile(dir, 'second.parquet', 5000, 30);
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: rival.content, ChecksumAlgorithm: 'CRC32C' }));
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).rejects.toThrow(
      /Refusing to overwrite .*stored CRC32C checksum .* differs.*reading the stored object back gave 5000 bytes with another sha256/,
    );
    expect(proxy.count('GetObject')).toBe(1);
    expect(proxy.count('PutObject')).toBe(0);
    const body = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await body.Body!.transformToByteArray()).equals(rival.content)).toBe(true);
  });

  it('refuses other content of another size by its size alone (no download)', async () => {
    await direct.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'rival', ChecksumAlgorithm: 'CRC32C' }));
    const file = await writeTestFile(dir, 'sized.parquet', 5000, 33);
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).rejects.toThrow(
      /the stored object has 5 bytes, the local file 5000/,
    );
    expect(proxy.count('GetObject')).toBe(0);
    expect(proxy.count('PutObject')).toBe(0);
  });

  it('reliability row 33: keeps a correct object whose stored checksum is wrong (recognised as delivered by its bytes)', async () => {
    const file = await writeTestFile(dir, 'mislabelled.parquet', 5000, 34);
    // The store claims a CRC32C that is not the file's, as moto does for multipart uploads.
    const wrong = crc32cBytes(crc32c(file.content) ^ 1).toString('base64');
    proxy.setRewrite(({ operation }) => (operation === 'HeadObject' ? { 'x-amz-checksum-crc32c': wrong } : undefined));
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).resolves.toMatchObject({
      status: 'uploaded',
      verifiedBy: 'readBack',
    });
    await expect(deliverFile({ client, bucket, key, filePath: file.path })).resolves.toMatchObject({
      status: 'alreadyDelivered',
      verifiedBy: 'readBack',
    });
    expect(await objectsAt(key)).toEqual([key]);
  });

  it('reliability row 33: deletes an object the store holds with other bytes than were sent, and fails', async () => {
    const file = await writeTestFile(dir, 'corrupt.parquet', 12 * MiB, 35);
    proxy.setCorrupt(({ operation, path }) => operation === 'UploadPart' && path.includes('partNumber=2'));
    await expect(deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB })).rejects.toThrow(
      /does not match the local file \(.*reading the stored object back gave 12582912 bytes with another sha256.*\); it was removed/,
    );
    expect(await objectsAt(key)).toEqual([]);
    expect(await uploadsInFlight()).toEqual([]);
  });

  it('proves write access by creating and aborting a multipart upload, leaving nothing behind', async () => {
    await expect(checkBucketAccess(client, bucket, { probeKey: key })).resolves.toEqual({ bucket, write: 'proven' });
    expect(await uploadsInFlight()).toEqual([]);
    expect(await objectsAt('')).toEqual([]);
  });
});
