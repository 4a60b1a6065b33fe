import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sendOptions } from './sendOptions.js';

/** A small object's body as UTF-8 text (a report). */
export async function readObjectText(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), sendOptions(signal));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return out.Body.transformToString('utf8');
}
