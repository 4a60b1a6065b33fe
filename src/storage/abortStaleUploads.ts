import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { UploadError } from '../errors.js';
import { sendOptions } from './sendOptions.js';
import { clientKeyMaterial } from './createS3Client.js';
import { describeS3Error, isNotFound, isNotImplemented, safeCause } from './s3ErrorText.js';

export interface StaleUploads {
  /** Unfinished multipart uploads of exactly `key` that were aborted. */
  readonly aborted: number;
  /** False when the server cannot list multipart uploads (s3rver): nothing could be checked. */
  readonly supported: boolean;
}

/**
 * Aborts every unfinished multipart upload of `key`, e.g. one left by a `kill -9` mid-upload, so
 * its parts stop costing storage and a resumed run starts clean. Other keys are left alone.
 */
export async function abortStaleUploads(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<StaleUploads> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        sendOptions(signal),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== key || upload.UploadId === undefined) continue;
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }), sendOptions(signal));
          aborted += 1;
        } catch (error) {
          if (!isNotFound(error)) throw error; // finished or aborted meanwhile
        }
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (isNotImplemented(error)) return { aborted, supported: false };
    const secrets = await clientKeyMaterial(client);
    throw new UploadError(`Cannot clean up unfinished uploads of s3://${bucket}/${key} (${describeS3Error(error, secrets)}).`, {
      cause: safeCause(error, secrets),
    });
  }
  return { aborted, supported: true };
}
