import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

/** s3rver accepts exactly this key pair and checks it, so wrong keys really fail. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  readonly endpoint: string;
  readonly directory: string;
  readonly credentials: typeof LOCAL_S3_CREDENTIALS;
  close(): Promise<void>;
}

export interface LocalS3Options {
  /** Where objects are stored (created if missing). */
  readonly directory: string;
  /** Buckets to create at start. */
  readonly buckets?: readonly string[];
  readonly port?: number;
  readonly host?: string;
}

/**
 * An in-process S3-compatible server (s3rver) for demos and tests: path-style addressing,
 * objects kept as files under `directory`. It has no checksums, conditional writes or
 * multipart listing: delivery verifies by reading the object back there.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const { directory, buckets = [], port = 0, host = '127.0.0.1' } = options;
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: host, port, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    directory,
    credentials: LOCAL_S3_CREDENTIALS,
    close: () => server.close(),
  };
}
