import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStoredText, StoreChangedError, writeStoredText } from '../../src/storage/index.js';
import { startMoto, type RunningMoto } from '../support/startMoto.js';

// moto honours If-None-Match and If-Match on PUT, which s3rver ignores.
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const BUCKET = 'lake';
const KEY = '_schemas/items.json';

let moto: RunningMoto;
let client: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  client = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  client?.destroy();
  await moto?.close();
});

describe('a stored text replaced only if unchanged (moto)', () => {
  it('creates it once, replaces the version read, and refuses to overwrite another writer’s version', async () => {
    expect(await readStoredText(client, BUCKET, KEY)).toBeUndefined();
    await writeStoredText(client, BUCKET, KEY, 'v1', undefined);
    // A second "first" writer finds the object there.
    await expect(writeStoredText(client, BUCKET, KEY, 'other v1', undefined)).rejects.toBeInstanceOf(StoreChangedError);

    const v1 = await readStoredText(client, BUCKET, KEY);
    expect(v1?.text).toBe('v1');
    // Another run replaces it after we read it: our write of the version we read is refused.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'theirs' }));
    await expect(writeStoredText(client, BUCKET, KEY, 'v2', v1)).rejects.toThrow(/changed while this run wrote it/);
    expect((await readStoredText(client, BUCKET, KEY))?.text).toBe('theirs');

    const current = await readStoredText(client, BUCKET, KEY);
    await writeStoredText(client, BUCKET, KEY, 'v2', current);
    expect((await readStoredText(client, BUCKET, KEY))?.text).toBe('v2');
  });
});
