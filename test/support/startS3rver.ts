import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalS3, type LocalS3 } from '../../src/storage/startLocalS3.js';

export { LOCAL_S3_CREDENTIALS as S3RVER_CREDENTIALS } from '../../src/storage/startLocalS3.js';

export interface RunningS3rver extends Omit<LocalS3, 'directory'> {
  readonly dir: string;
}

/**
 * An in-process s3rver on a free loopback port, storing in a fresh temp dir that close() removes.
 * Note what it lacks: checksums, If-None-Match on PUT, ListMultipartUploads, AbortMultipartUpload.
 */
export async function startS3rver(options: Readonly<{ bucket?: string }> = {}): Promise<RunningS3rver> {
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'));
  const s3 = await startLocalS3({ directory: dir, buckets: options.bucket === undefined ? [] : [options.bucket] });
  return {
    endpoint: s3.endpoint,
    dir,
    credentials: s3.credentials,
    async close() {
      await s3.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
