import { type S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadError } from '../../src/errors.js';
import { checkBucketAccess, createS3Client } from '../../src/storage/index.js';
import { startS3Proxy, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';

const bucket = 'access-bucket';
const WRONG_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const WRONG_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
let s3rver: RunningS3rver;
let proxy: RunningS3Proxy;
const clients: S3Client[] = [];

function client(credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  const c = createS3Client({ endpoint: proxy.endpoint, forcePathStyle: true, credentials, maxAttempts: 2 });
  clients.push(c);
  return c;
}

/** Everything a log line would carry for this error: message, cause chain, enumerable fields. */
function serialised(error: unknown): string {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  pino({ level: 'info' }, sink).error({ err: error }, 'failed');
  return out + String(error) + JSON.stringify(error);
}

async function rejection(p: Promise<unknown>): Promise<UploadError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadError);
  return error as UploadError;
}

beforeAll(async () => {
  s3rver = await startS3rver({ bucket });
  proxy = await startS3Proxy(s3rver.endpoint);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.close();
  await s3rver?.close();
});

describe('checkBucketAccess', () => {
  it('passes for an existing bucket with valid credentials', async () => {
    await expect(checkBucketAccess(client(s3rver.credentials), bucket)).resolves.toEqual({ bucket, write: 'skipped' });
  });

  it('reports a missing bucket in one actionable sentence', async () => {
    const error = await rejection(checkBucketAccess(client(s3rver.credentials), 'no-such-bucket'));
    expect(error.message).toBe('S3 bucket "no-such-bucket" does not exist: create it or fix the bucket name in the configuration.');
  });

  it('reports an unknown access key id (s3rver checks key ids) without any key material, even in the logged cause', async () => {
    const error = await rejection(checkBucketAccess(client({ accessKeyId: WRONG_KEY_ID, secretAccessKey: WRONG_SECRET }), bucket));
    expect(error.message).toMatch(
      /^S3 rejected the credentials \(InvalidAccessKeyId\) for bucket "access-bucket": check the access key id/,
    );
    const everything = serialised(error);
    expect(everything).toContain('InvalidAccessKeyId');
    expect(everything).not.toContain(WRONG_KEY_ID);
    expect(everything).not.toContain(WRONG_SECRET);
  });

  it('strips key material that the store echoes in a SignatureDoesNotMatch error', async () => {
    // s3rver does not verify SigV4 signatures, so the proxy answers as AWS does, echoing the key.
    proxy.setFaults(() => ({
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: `The request signature we calculated does not match the signature you provided (key ${WRONG_KEY_ID}).`,
      fields: { AWSAccessKeyId: WRONG_KEY_ID, StringToSign: `AWS4-HMAC-SHA256 Credential=${WRONG_KEY_ID}/x`, SignatureProvided: 'abc123' },
    }));
    try {
      const error = await rejection(checkBucketAccess(client({ accessKeyId: WRONG_KEY_ID, secretAccessKey: WRONG_SECRET }), bucket));
      expect(error.message).toMatch(/S3 rejected the credentials \(SignatureDoesNotMatch\)/);
      const everything = serialised(error);
      expect(everything).not.toContain(WRONG_KEY_ID);
      expect(everything).not.toContain(WRONG_SECRET);
      expect(everything).not.toContain('abc123');
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('names the missing permission on AccessDenied', async () => {
    proxy.setFaults(({ operation }) =>
      operation === 'CreateMultipartUpload' ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined,
    );
    try {
      const error = await rejection(checkBucketAccess(client(s3rver.credentials), bucket, { probeKey: 'raw/x/probe' }));
      expect(error.message).toMatch(
        /S3 denied access to write to "raw\/x\/probe" in bucket "access-bucket" \(HTTP 403\): grant these credentials s3:ListBucket and s3:PutObject/,
      );
    } finally {
      proxy.setFaults(undefined);
    }
  });

  it('takes credentials from the environment when none are given (the standard chain)', async () => {
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    const restore = (name: string, value: string | undefined): void => {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    };
    try {
      process.env['AWS_ACCESS_KEY_ID'] = WRONG_KEY_ID;
      process.env['AWS_SECRET_ACCESS_KEY'] = WRONG_SECRET;
      const fromEnv = createS3Client({ endpoint: proxy.endpoint, forcePathStyle: true, maxAttempts: 1 });
      clients.push(fromEnv);
      const error = await rejection(checkBucketAccess(fromEnv, bucket));
      expect(error.message).toMatch(/InvalidAccessKeyId/);
      expect(serialised(error)).not.toContain(WRONG_KEY_ID);

      process.env['AWS_ACCESS_KEY_ID'] = s3rver.credentials.accessKeyId;
      process.env['AWS_SECRET_ACCESS_KEY'] = s3rver.credentials.secretAccessKey;
      const good = createS3Client({ endpoint: proxy.endpoint, forcePathStyle: true, maxAttempts: 1 });
      clients.push(good);
      await expect(checkBucketAccess(good, bucket)).resolves.toEqual({ bucket, write: 'skipped' });
    } finally {
      restore('AWS_ACCESS_KEY_ID', saved.id);
      restore('AWS_SECRET_ACCESS_KEY', saved.secret);
    }
  });

  it('validates client options, naming each problem', () => {
    expect(() => createS3Client({ endpoint: 'not a url', maxAttempts: 0 })).toThrow(
      /endpoint is not a valid URL[\s\S]*maxAttempts must be an integer >= 1/,
    );
    expect(() => createS3Client({ endpoint: 'http://user:pw@localhost:9000' })).toThrow(/must not embed credentials/);
    expect(() => createS3Client({ credentials: { accessKeyId: 'x', secretAccessKey: '' } })).toThrow(
      /need both an access key id and a secret/,
    );
  });

  it('probes write access with a multipart upload it aborts; s3rver cannot abort, which is reported', async () => {
    const before = proxy.count('PutObject');
    await expect(checkBucketAccess(client(s3rver.credentials), bucket, { probeKey: 'raw/x/probe' })).resolves.toEqual({
      bucket,
      write: 'unabortable',
    });
    expect(proxy.count('PutObject')).toBe(before); // no object was written
    expect(proxy.count('CreateMultipartUpload')).toBeGreaterThan(0);
  });
});
