import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { UploadError } from '../errors.js';
import { sendOptions } from './sendOptions.js';
import { clientKeyMaterial } from './createS3Client.js';
import { describeS3Error, isNotImplemented, s3ErrorInfo, safeCause } from './s3ErrorText.js';

export interface BucketAccessOptions {
  /**
   * A key under which we may write (the run's data key is ideal). When given, write access is
   * proven by starting a multipart upload there and aborting it at once: no object is created.
   */
  readonly probeKey?: string;
  readonly signal?: AbortSignal;
}

export interface BucketAccess {
  readonly bucket: string;
  /** `proven`: create + abort succeeded; `skipped`: no probe key; `unabortable`: the server
   * created the probe upload but cannot abort one (s3rver), so nothing more was tried. */
  readonly write: 'proven' | 'skipped' | 'unabortable';
}

/**
 * Run before the first page is fetched, so a bad bucket or bad credentials fail the run before
 * any work. Throws UploadError with one actionable sentence and no key material.
 */
export async function checkBucketAccess(client: S3Client, bucket: string, options: BucketAccessOptions = {}): Promise<BucketAccess> {
  const send = sendOptions(options.signal);
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }), send);
  } catch (error) {
    throw await accessError(client, bucket, 'read the bucket', await withErrorCode(client, bucket, error, options.signal));
  }
  if (options.probeKey === undefined) return { bucket, write: 'skipped' };
  let uploadId: string | undefined;
  try {
    uploadId = (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: options.probeKey }), send)).UploadId;
  } catch (error) {
    throw await accessError(client, bucket, `write to "${options.probeKey}"`, error);
  }
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: options.probeKey, UploadId: uploadId }));
    return { bucket, write: 'proven' };
  } catch (error) {
    if (isNotImplemented(error)) return { bucket, write: 'unabortable' };
    throw await accessError(client, bucket, `abort the probe upload at "${options.probeKey}"`, error);
  }
}

/**
 * A HEAD answer has no body, so a 403 there cannot say whether the key id is unknown, the
 * signature wrong, or access denied. A one-key listing gets the same verdict with its code.
 */
async function withErrorCode(client: S3Client, bucket: string, error: unknown, signal: AbortSignal | undefined): Promise<unknown> {
  const { code, status } = s3ErrorInfo(error);
  if (status !== 403 || (code !== undefined && code !== 'Unknown' && code !== 'Forbidden')) return error;
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), sendOptions(signal));
    return error;
  } catch (detailed) {
    return s3ErrorInfo(detailed).code === undefined ? error : detailed;
  }
}

async function accessError(client: S3Client, bucket: string, action: string, error: unknown): Promise<UploadError> {
  const secrets = await clientKeyMaterial(client);
  const { code, status } = s3ErrorInfo(error, secrets);
  const cause = { cause: safeCause(error, secrets) };
  if (code === 'NoSuchBucket' || (status === 404 && action === 'read the bucket')) {
    return new UploadError(`S3 bucket "${bucket}" does not exist: create it or fix the bucket name in the configuration.`, cause);
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'InvalidToken' || code === 'ExpiredToken') {
    return new UploadError(
      `S3 rejected the credentials (${code}) for bucket "${bucket}": check the access key id and secret (or the AWS profile/role) and the region.`,
      cause,
    );
  }
  if (code === 'CredentialsProviderError') {
    return new UploadError(
      `No S3 credentials found for bucket "${bucket}": set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or a role.`,
      cause,
    );
  }
  if (status === 403 || code === 'AccessDenied' || code === 'Forbidden') {
    return new UploadError(
      `S3 denied access to ${action} in bucket "${bucket}" (HTTP 403): grant these credentials s3:ListBucket and s3:PutObject, or check the credentials and region.`,
      cause,
    );
  }
  return new UploadError(
    `Cannot ${action} in S3 bucket "${bucket}" (${describeS3Error(error, secrets)}): check the endpoint, region and network.`,
    cause,
  );
}
