import type { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedRun } from '../config/loadRunConfig.js';
import { createS3Client } from '../storage/index.js';
import type { S3Credentials } from './runIngestionContext.js';

/** The store's client as the run's options describe it (the SDK's standard credentials unless given). */
export function s3ClientFor(
  config: Pick<ResolvedRun, 's3Endpoint' | 's3Region' | 's3ForcePathStyle'>,
  credentials: S3Credentials | undefined,
): S3Client {
  return createS3Client({
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    ...(credentials ? { credentials } : {}),
  });
}
