import { join } from 'node:path';
import { BUCKET, INGEST_DATE, type Lake } from './e2eEnv.js';

/**
 * `ingest run --source FILE` delivering to the lake's bucket (or `bucket`), at `logLevel` (default
 * warn), under a fixed date and run id (undefined: the default one).
 */
export function sourceRunArgs(
  lake: Pick<Lake, 's3' | 'dataDir'>,
  source: string,
  runId: string | undefined,
  { bucket = BUCKET, logLevel = 'warn' }: { bucket?: string; logLevel?: string } = {},
): string[] {
  return [
    'run',
    '--source',
    source,
    '--bucket',
    bucket,
    '--s3-endpoint',
    lake.s3.endpoint,
    '--s3-force-path-style',
    '--checksum',
    'SHA256',
    '--data-dir',
    lake.dataDir,
    '--log-dir',
    join(lake.dataDir, 'logs'),
    '--ingest-date',
    INGEST_DATE,
    ...(runId === undefined ? [] : ['--run-id', runId]),
    '--no-progress',
    '--log-level',
    logLevel,
  ];
}

/** The lake's S3 keys, as the CLI reads them from its environment. */
export const s3Env = (lake: Pick<Lake, 's3'>): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: lake.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: lake.s3.credentials.secretAccessKey,
});
