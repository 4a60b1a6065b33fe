import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver accepts exactly this key pair and checks signatures, so wrong keys really fail. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  readonly endpoint: string;
  readonly dir: string;
  readonly credentials: typeof S3RVER_CREDENTIALS;
  close(): Promise<void>;
}

/**
 * An in-process s3rver on a free loopback port, storing in a fresh temp dir, silent.
 * Note what it lacks: checksums, If-None-Match on PUT, ListMultipartUploads, AbortMultipartUpload.
 */
export async function startS3rver(options: Readonly<{ bucket?: string }> = {}): Promise<RunningS3rver> {
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: dir,
    ...(options.bucket === undefined ? {} : { configureBuckets: [{ name: options.bucket }] }),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    dir,
    credentials: S3RVER_CREDENTIALS,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
