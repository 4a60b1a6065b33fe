import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UploadError } from '../errors.js';
import { clientKeyMaterial } from './createS3Client.js';
import { objectKeyProblems } from './objectKey.js';
import { describeS3Error, safeCause } from './s3ErrorText.js';
import { sendOptions } from './sendOptions.js';

export interface UploadReportOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The report text (JSON or Markdown); small, so it is sent in one PUT. */
  readonly body: string;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface ReportUpload {
  readonly uri: string;
  readonly etag: string | undefined;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes a small report object. Unlike the data file it may replace an earlier report of the
 * same run (a failed attempt's report is superseded by the resumed run's). The SHA256 we send
 * makes the store reject a body damaged in transit.
 */
export async function uploadReport(options: Readonly<UploadReportOptions>): Promise<ReportUpload> {
  const { client, bucket, key } = options;
  const uri = `s3://${bucket}/${key}`;
  const problems = objectKeyProblems(key);
  if (problems.length > 0) throw new UploadError(`Cannot write the report to ${uri}: ${problems.join('; ')}.`);
  const body = Buffer.from(options.body, 'utf8');
  const digest = createHash('sha256').update(body).digest();
  const contentType = options.contentType ?? (key.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json; charset=utf-8');
  try {
    const out = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: contentType,
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: digest.toString('base64'),
        Metadata: { sha256: digest.toString('hex') },
      }),
      sendOptions(options.signal),
    );
    return { uri, etag: out.ETag, bytes: body.length, sha256: digest.toString('hex') };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    const secrets = await clientKeyMaterial(client);
    throw new UploadError(`Writing the report to ${uri} failed (${describeS3Error(error, secrets)}).`, {
      cause: safeCause(error, secrets),
    });
  }
}
