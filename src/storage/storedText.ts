/** A small text object read with its version and replaced only if nobody changed it meanwhile (a dataset's schema). */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UploadError } from '../errors.js';
import { clientKeyMaterial } from './createS3Client.js';
import { describeS3Error, isNotFound, isPreconditionFailed, safeCause } from './s3ErrorText.js';
import { sendOptions } from './sendOptions.js';

export interface StoredText {
  readonly text: string;
  /** The version written over only if it is still the current one. */
  readonly etag: string | undefined;
}

/** Another writer changed the object between our read and our write: read it again. */
export class StoreChangedError extends UploadError {
  override name = 'StoreChangedError';
}

async function failure(client: S3Client, what: string, error: unknown): Promise<UploadError> {
  const secrets = await clientKeyMaterial(client);
  return new UploadError(`${what} failed (${describeS3Error(error, secrets)}).`, { cause: safeCause(error, secrets) });
}

/** The object's text and ETag, or undefined when there is no such object. */
export async function readStoredText(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<StoredText | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), sendOptions(signal));
    return { text: (await out.Body?.transformToString('utf8')) ?? '', etag: out.ETag };
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    if (isNotFound(error)) return undefined;
    throw await failure(client, `Reading s3://${bucket}/${key}`, error);
  }
}

/**
 * Writes `text` at `key` if the object is still `previous` (undefined: if there is none),
 * sending If-Match / If-None-Match, then reads it back: a store that ignores those headers
 * (s3rver) still cannot leave another writer's text unnoticed. Throws StoreChangedError when
 * the object changed meanwhile.
 */
export async function writeStoredText(
  client: S3Client,
  bucket: string,
  key: string,
  text: string,
  previous: StoredText | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const uri = `s3://${bucket}/${key}`;
  const condition = previous?.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: previous.etag };
  try {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json; charset=utf-8', ...condition }),
      sendOptions(signal),
    );
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    if (isPreconditionFailed(error)) throw new StoreChangedError(`${uri} changed while this run wrote it`);
    throw await failure(client, `Writing ${uri}`, error);
  }
  const stored = await readStoredText(client, bucket, key, signal);
  if (stored?.text !== text) throw new StoreChangedError(`${uri} holds other content than this run wrote: another run wrote it meanwhile`);
}
