import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, crc32cBase64 } from '../../src/checksum/crc32c.js';
import { UploadError } from '../../src/errors.js';
import {
  MAX_PARTS,
  MIN_PART_SIZE,
  createS3Client,
  deliverFile,
  partSizeFor,
  partitionOf,
  renderKey,
  reportKey,
  uploadReport,
} from '../../src/storage/index.js';
import { startS3Proxy, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { tempDir, testBytes, writeTestFile } from '../support/writeTestFile.js';

const MiB = 1024 * 1024;
const bucket = 'deliveries';
let s3rver: RunningS3rver;
let proxy: RunningS3Proxy;
let client: S3Client;
let dir: string;
let runs = 0;

/** A fresh key per test (one run id each), so tests do not depend on each other. */
function nextKey(): string {
  runs += 1;
  return renderKey({ prefix: 'raw', dataset: 'customers', ingestDate: '2026-11-28', runId: `run${runs}`, ext: 'ndjson' });
}

/** The key's last segment, as it appears in a request's path (the partition's `=` is percent-encoded). */
const fileName = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');
const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function readObject(key: string): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

beforeAll(async () => {
  s3rver = await startS3rver({ bucket });
  proxy = await startS3Proxy(s3rver.endpoint);
  client = createS3Client({ endpoint: proxy.endpoint, forcePathStyle: true, credentials: s3rver.credentials, maxAttempts: 4 });
  dir = await tempDir();
});

afterAll(async () => {
  client?.destroy();
  await proxy?.close();
  await s3rver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deliverFile on s3rver (no server checksums: verified by reading back)', () => {
  it('uploads a small file in one PUT, verifies it by read-back, and the partition holds exactly that file', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'small.ndjson', 100_000, 1);
    const result = await deliverFile({
      client,
      bucket,
      key,
      filePath: file.path,
      partSize: 5 * MiB,
      contentType: 'application/x-ndjson',
      metadata: { 'run-id': 'run1' },
    });

    expect(result).toMatchObject({ status: 'uploaded', uri: `s3://${bucket}/${key}`, bytes: 100_000, verifiedBy: 'serverEtag', parts: 1 });
    expect(await readObject(key)).toEqual(file.content);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata?.['sha256']).toBe(result.sha256);
    expect(head.ContentType).toBe('application/x-ndjson');
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partitionOf(key) }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
  });

  it('uploads a file larger than the part size as a multipart upload and reads back the same bytes', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'big.ndjson', 12 * MiB, 2);
    const before = proxy.count('UploadPart');
    const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
    expect(result).toMatchObject({ status: 'uploaded', bytes: 12 * MiB, parts: 3, verifiedBy: 'serverEtag' });
    expect(proxy.count('UploadPart') - before).toBe(3);
    expect((await readObject(key)).equals(file.content)).toBe(true);
  });

  it('cuts a file into 5 MiB parts by default', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'default-parts.ndjson', 12 * MiB, 4);
    const before = proxy.count('UploadPart');
    const result = await deliverFile({ client, bucket, key, filePath: file.path });
    expect(result).toMatchObject({ status: 'uploaded', bytes: 12 * MiB, parts: 3, verifiedBy: 'serverEtag' });
    expect(proxy.count('UploadPart') - before).toBe(3);
  });

  it('grows the part size in whole MiB so that a file never needs more than 10,000 parts', () => {
    expect(partSizeFor(12 * MiB, MIN_PART_SIZE)).toBe(MIN_PART_SIZE);
    expect(partSizeFor(MAX_PARTS * MIN_PART_SIZE, MIN_PART_SIZE)).toBe(MIN_PART_SIZE);
    expect(partSizeFor(MAX_PARTS * MIN_PART_SIZE + 1, MIN_PART_SIZE)).toBe(6 * MiB);
    expect(partSizeFor(100 * 1024 * MiB, 8 * MiB)).toBe(11 * MiB);
    expect(partSizeFor(100 * 1024 * MiB, 64 * MiB)).toBe(64 * MiB);
  });

  it("proves an upload by the store's MD5 ETag (s3rver keeps no checksum), without downloading it", async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'etag.ndjson', 12 * MiB, 13);
    const gets = proxy.count('GetObject');
    const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
    expect(result).toMatchObject({ status: 'uploaded', parts: 3, verifiedBy: 'serverEtag', etag: `"${md5(file.content)}"` });
    expect(proxy.count('GetObject')).toBe(gets);
  });

  it("rebuilds S3's multipart ETag (the MD5 of the parts' MD5s, -N) when the store gives one", async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'etag-parts.ndjson', 12 * MiB, 14);
    const parts = [0, 1, 2].map((i) =>
      createHash('md5')
        .update(file.content.subarray(i * 5 * MiB, (i + 1) * 5 * MiB))
        .digest(),
    );
    const s3Etag = `"${md5(Buffer.concat(parts))}-3"`;
    proxy.setRewrite(({ operation, path }) => (operation === 'HeadObject' && path.endsWith(fileName(key)) ? { etag: s3Etag } : undefined));
    const gets = proxy.count('GetObject');
    try {
      const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
      expect(result).toMatchObject({ status: 'uploaded', parts: 3, verifiedBy: 'serverEtag', etag: s3Etag });
      expect(proxy.count('GetObject')).toBe(gets);
    } finally {
      proxy.setRewrite(undefined);
    }
  });

  it('refuses a file changed after it was hashed before anything is visible: the bytes read for the upload must hash the same', async () => {
    // With its writer's checksums (as a run delivers) and without (hashed first, then changed).
    for (const withWriters of [true, false]) {
      const key = nextKey();
      const file = await writeTestFile(dir, 'changed-before-parts.ndjson', 12 * MiB, 16);
      const written = withWriters ? { sha256: sha256Hex(file.content), crc32c: crc32cBase64(crc32c(file.content)) } : {};
      // s3rver ignores the parts' checksums: the upload's own hash of what it read catches the change.
      proxy.setHook(({ operation }) => {
        if (operation === 'CreateMultipartUpload') writeFileSync(file.path, testBytes(12 * MiB, 17));
      });
      const aborts = proxy.count('AbortMultipartUpload');
      const completes = proxy.count('CompleteMultipartUpload');
      try {
        await expect(
          deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, settleDelaysMs: [], ...written }),
        ).rejects.toThrow(
          /^The file .*changed-before-parts\.ndjson no longer matches the CRC-32C computed when it was written: refusing to upload it/,
        );
      } finally {
        proxy.setHook(undefined);
      }
      expect(proxy.count('CompleteMultipartUpload')).toBe(completes);
      expect(proxy.count('AbortMultipartUpload')).toBe(aborts + 1);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      expect(listed.Contents ?? []).toEqual([]);
    }
  });

  it("refuses a one-part file changed after its writer hashed it, given the writer's checksums: no PUT is sent", async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'changed-one-part.ndjson', 1000, 18);
    const written = { sha256: sha256Hex(file.content), crc32c: crc32cBase64(crc32c(file.content)) };
    writeFileSync(file.path, testBytes(1000, 19));
    const puts = proxy.count('PutObject');
    await expect(deliverFile({ client, bucket, key, filePath: file.path, ...written })).rejects.toThrow(
      /no longer matches the CRC-32C computed when it was written/,
    );
    expect(proxy.count('PutObject')).toBe(puts);
  });

  it('takes no ETag as proof for a file changed after its upload: the object is proven by reading it back', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'etag-changed.ndjson', 12 * MiB, 16);
    // The parts read were the hashed bytes; the local file changes before the stored object is proven.
    proxy.setHook(({ operation }) => {
      if (operation === 'CompleteMultipartUpload') writeFileSync(file.path, testBytes(12 * MiB, 17));
    });
    const gets = proxy.count('GetObject');
    try {
      await expect(deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, settleDelaysMs: [] })).resolves.toMatchObject(
        {
          status: 'uploaded',
          verifiedBy: 'readBack',
          sha256: sha256Hex(file.content),
        },
      );
    } finally {
      proxy.setHook(undefined);
    }
    expect(proxy.count('GetObject')).toBe(gets + 1);
  });

  it('reads the object back when its ETag is not an MD5 it can rebuild, or another one: an ETag never proves an object wrong', async () => {
    for (const [name, etag] of [
      ['encrypted', '"not-an-md5"'],
      ['other-md5', `"${'0'.repeat(32)}"`],
      ['other-layout', `"${'0'.repeat(32)}-2"`],
    ] as const) {
      const key = nextKey();
      const file = await writeTestFile(dir, `etag-${name}.ndjson`, 12 * MiB, 15);
      proxy.setRewrite(({ operation, path }) => (operation === 'HeadObject' && path.endsWith(fileName(key)) ? { etag } : undefined));
      const gets = proxy.count('GetObject');
      try {
        const result = await deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB });
        expect(result, name).toMatchObject({ status: 'uploaded', parts: 3, verifiedBy: 'readBack' });
        expect(proxy.count('GetObject') - gets, name).toBe(1);
      } finally {
        proxy.setRewrite(undefined);
      }
    }
  });

  it('recognises the same content already at the key as delivered, without a second upload', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'again.ndjson', 50_000, 3);
    await deliverFile({ client, bucket, key, filePath: file.path });
    const first = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const writes = (): number => proxy.count('PutObject') + proxy.count('CreateMultipartUpload');
    const writesBefore = writes();

    const again = await deliverFile({ client, bucket, key, filePath: file.path });

    expect(again).toMatchObject({ status: 'alreadyDelivered', verifiedBy: 'serverEtag', bytes: 50_000 });
    expect(writes()).toBe(writesBefore);
    const second = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(second.LastModified).toEqual(first.LastModified);
    expect(second.ETag).toBe(first.ETag);
  });

  it('refuses to overwrite an object with different content and leaves it untouched', async () => {
    const key = nextKey();
    const original = await writeTestFile(dir, 'original.ndjson', 40_000, 4);
    const other = await writeTestFile(dir, 'other.ndjson', 40_000, 5);
    await deliverFile({ client, bucket, key, filePath: original.path });
    const writesBefore = proxy.count('PutObject');

    const attempt = deliverFile({ client, bucket, key, filePath: other.path });

    await expect(attempt).rejects.toThrow(UploadError);
    await expect(attempt).rejects.toThrow(/Refusing to overwrite .*different content/);
    expect(proxy.count('PutObject')).toBe(writesBefore);
    expect(await readObject(key)).toEqual(original.content);
  });

  it('reliability row 40: verifies again when the store does not show an acknowledged upload yet (s3rver answers a PUT before its bytes land)', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'lagging.ndjson', 3_987, 12);
    const putsBefore = proxy.count('PutObject');
    let heads = 0;
    // The first HEAD after the PUT says what a store still writing the file says: 0 bytes.
    proxy.setRewrite(({ operation, path }) =>
      operation === 'HeadObject' && path.endsWith(fileName(key)) && proxy.count('PutObject') > putsBefore && ++heads === 1
        ? { 'content-length': '0' }
        : undefined,
    );
    try {
      const result = await deliverFile({ client, bucket, key, filePath: file.path, settleDelaysMs: [0, 0] });
      expect(result).toMatchObject({ status: 'uploaded', verifiedBy: 'serverEtag', bytes: 3_987 });
      expect(heads).toBe(2);
      expect(await readObject(key)).toEqual(file.content);
    } finally {
      proxy.setRewrite(undefined);
    }
  });

  it('removes an upload the store keeps showing wrong after the waits, and says to retry', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'wrong.ndjson', 3_987, 13);
    const putsBefore = proxy.count('PutObject');
    proxy.setRewrite(({ operation, path }) =>
      operation === 'HeadObject' && path.endsWith(fileName(key)) && proxy.count('PutObject') > putsBefore
        ? { 'content-length': '1' }
        : undefined,
    );
    try {
      const headsBefore = proxy.count('HeadObject');
      await expect(deliverFile({ client, bucket, key, filePath: file.path, settleDelaysMs: [0, 0] })).rejects.toThrow(
        /does not match the local file \(the stored object has 1 bytes, the local file 3987\); it was removed\. Retry the delivery/,
      );
      // The check before the upload, then three verifications.
      expect(proxy.count('HeadObject') - headsBefore).toBe(4);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      expect(listed.Contents ?? []).toEqual([]);
    } finally {
      proxy.setRewrite(undefined);
    }
  });

  it('refuses a file that no longer matches the sha256 its writer computed', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'changed.ndjson', 1000, 6);
    await expect(deliverFile({ client, bucket, key, filePath: file.path, sha256: '0'.repeat(64) })).rejects.toThrow(
      /no longer matches the sha256/,
    );
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('refuses a file cut short after it was hashed: the upload is aborted and nothing is at the key', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'shrinking.ndjson', 12 * MiB, 10);
    proxy.setHook(({ operation }) => {
      if (operation === 'CreateMultipartUpload') truncateSync(file.path, 7 * MiB);
    });
    const abortsBefore = proxy.count('AbortMultipartUpload');
    try {
      await expect(deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, queueSize: 1 })).rejects.toThrow(
        /Uploading for s3:.* failed \(.*the file ended at byte 7340032, not at 10485760 as when it was hashed/,
      );
    } finally {
      proxy.setHook(undefined);
    }
    expect(proxy.count('AbortMultipartUpload') - abortsBefore).toBe(1);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('reliability row 22: retries transient S3 errors (500, 503 SlowDown, connection reset) and then succeeds', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'flaky.ndjson', 30_000, 7);
    let putFaults = 0;
    proxy.setFaults(({ operation }) => {
      if (operation !== 'PutObject' || putFaults >= 3) return undefined;
      putFaults += 1;
      return ([500, 503, 'reset'] as const)[putFaults - 1];
    });
    try {
      const result = await deliverFile({ client, bucket, key, filePath: file.path });
      expect(result.status).toBe('uploaded');
    } finally {
      proxy.setFaults(undefined);
    }
    const puts = proxy.requests.filter((r) => r.operation === 'PutObject' && decodeURIComponent(r.path).includes(key));
    expect(puts.map((r) => r.outcome)).toEqual([500, 503, 'reset', 200]);
    expect(await readObject(key)).toEqual(file.content);
  });

  it('retries in adaptive mode too', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'adaptive.ndjson', 1000, 12);
    const adaptive = createS3Client({
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      credentials: s3rver.credentials,
      maxAttempts: 3,
      retryMode: 'adaptive',
    });
    let faults = 0;
    proxy.setFaults(({ operation }) => (operation === 'PutObject' && faults++ < 2 ? 500 : undefined));
    try {
      await expect(deliverFile({ client: adaptive, bucket, key, filePath: file.path })).resolves.toMatchObject({ status: 'uploaded' });
    } finally {
      proxy.setFaults(undefined);
      adaptive.destroy();
    }
    expect(faults).toBe(3); // two injected 500s, then the attempt that reached the server
  });

  it('fails with a clear UploadError naming the status when 500s never stop, leaving nothing at the key', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'down.ndjson', 30_000, 8);
    proxy.setFaults(({ operation }) => (operation === 'PutObject' ? 500 : undefined));
    try {
      const attempt = deliverFile({ client, bucket, key, filePath: file.path });
      await expect(attempt).rejects.toThrow(UploadError);
      await expect(attempt).rejects.toThrow(/Uploading for s3:\/\/deliveries\/.* failed \(InternalError HTTP 500/);
    } finally {
      proxy.setFaults(undefined);
    }
    const puts = proxy.requests.filter((r) => r.operation === 'PutObject' && decodeURIComponent(r.path).includes(key));
    expect(puts.length).toBe(4); // every attempt the client allows (maxAttempts 4)
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('stops with the abort reason when the signal is aborted, leaving nothing at the key', async () => {
    const key = nextKey();
    const file = await writeTestFile(dir, 'aborted.ndjson', 12 * MiB, 9);
    const controller = new AbortController();
    proxy.setHook(({ operation }) => {
      if (operation === 'UploadPart') controller.abort(new Error('stop requested'));
    });
    try {
      await expect(deliverFile({ client, bucket, key, filePath: file.path, partSize: 5 * MiB, signal: controller.signal })).rejects.toThrow(
        'stop requested',
      );
    } finally {
      proxy.setHook(undefined);
    }
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
    expect(listed.Contents ?? []).toEqual([]);
  });

  it('with exclusivePartition, refuses a second data file in the same partition', async () => {
    const first = renderKey({ prefix: 'excl', dataset: 'orders', ingestDate: '2026-11-28', runId: 'a1', ext: 'csv' });
    const second = renderKey({ prefix: 'excl', dataset: 'orders', ingestDate: '2026-11-28', runId: 'b2', ext: 'csv' });
    const a = await writeTestFile(dir, 'a.csv', 100, 13);
    const b = await writeTestFile(dir, 'b.csv', 100, 14);
    await deliverFile({ client, bucket, key: first, filePath: a.path, exclusivePartition: true });
    await expect(deliverFile({ client, bucket, key: second, filePath: b.path, exclusivePartition: true })).rejects.toThrow(
      /partition s3:\/\/deliveries\/excl\/orders\/ingest_date=2026-11-28\/ already holds another object .*\/orders_a1\.csv/,
    );
    // The same run again is still recognised as delivered.
    await expect(deliverFile({ client, bucket, key: first, filePath: a.path, exclusivePartition: true })).resolves.toMatchObject({
      status: 'alreadyDelivered',
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partitionOf(first) }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([first]);
  });

  it('writes a report object, readable back, replacing an earlier report of the same run', async () => {
    const key = reportKey({ prefix: 'raw', dataset: 'customers', ingestDate: '2026-11-28', runId: 'rep1' });
    await uploadReport({ client, bucket, key, body: '{"status":"failed"}' });
    const written = await uploadReport({ client, bucket, key, body: '{"status":"succeeded","records":3}' });
    expect(written).toMatchObject({ uri: `s3://${bucket}/${key}`, bytes: 34 });
    expect((await readObject(key)).toString()).toBe('{"status":"succeeded","records":3}');
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toMatch(/^application\/json/);
    expect(head.Metadata?.['sha256']).toBe(written.sha256);
  });

  it('rejects invalid options, naming each problem', async () => {
    const file = await writeTestFile(dir, 'opts.ndjson', 10, 10);
    await expect(
      deliverFile({
        client,
        bucket,
        key: '/bad//key',
        filePath: file.path,
        partSize: 1024,
        metadata: { 'api-token': 'x' },
        settleDelaysMs: [-1],
      }),
    ).rejects.toThrow(
      /must not start with "\/".*partSize must be.*looks like a secret.*settleDelaysMs must hold finite numbers >= 0, got \[-1\]/,
    );
  });

  it('creates nothing when the bucket is missing and says so', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'other-bucket' }));
    const file = await writeTestFile(dir, 'nobucket.ndjson', 10, 11);
    await expect(deliverFile({ client, bucket: 'no-such-bucket', key: nextKey(), filePath: file.path })).rejects.toThrow(
      /NoSuchBucket|404/,
    );
  });
});
