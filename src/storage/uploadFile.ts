import { closeSync, openSync, readSync } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { partCount, type ChecksumAlgorithm, type FileDigest } from './fileDigest.js';
import { sendOptions } from './sendOptions.js';

export interface UploadFileOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly filePath: string;
  /** The file's digest: its size, part size and the checksums sent, whole and per part. */
  readonly digest: FileDigest;
  readonly algorithm: ChecksumAlgorithm;
  /** Parts in flight at once; each holds one buffer of the part size for the whole upload. */
  readonly queueSize: number;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Send `If-None-Match: *` with the write that makes the object visible (the PUT or the completion). */
  readonly conditionalWrite: boolean;
  readonly signal?: AbortSignal;
  /** Called after each part of a multipart upload is stored. */
  readonly onPartStored?: () => void;
}

/**
 * Uploads the file at `options.filePath` as `digest` describes it: one PUT when it fits in one
 * part, else a multipart upload of `digest.partSize` parts, `queueSize` at a time. Every request
 * carries the checksum `digestFile` computed (each part its own, the completion the whole file's
 * CRC-32C as a FULL_OBJECT value), so the store refuses bytes that changed since, and nothing is
 * hashed twice. Memory is `queueSize` part buffers, allocated once and read into straight from
 * the file: a general-purpose uploader copies every part out of a stream, and the garbage it
 * leaves held 20-44 MB while a 10M-record run was delivered. A multipart upload that fails is
 * aborted, so no parts are left behind.
 */
export async function uploadFile(options: Readonly<UploadFileOptions>): Promise<void> {
  const { digest } = options;
  const parts = partCount(digest.bytes, digest.partSize);
  if (parts === 1) {
    await putWhole(options);
    return;
  }
  const { client, bucket, key, signal } = options;
  const fullObject = options.algorithm === 'CRC32C';
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: options.contentType,
      Metadata: { ...options.metadata },
      ChecksumAlgorithm: options.algorithm,
      ChecksumType: fullObject ? 'FULL_OBJECT' : 'COMPOSITE',
    }),
    sendOptions(signal),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('the store answered CreateMultipartUpload without an upload id');
  try {
    const stored = await uploadParts(options, uploadId);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: stored },
        ...(fullObject ? { ChecksumCRC32C: digest.crc32c, ChecksumType: 'FULL_OBJECT', MpuObjectSize: digest.bytes } : {}),
        ...(options.conditionalWrite ? { IfNoneMatch: '*' } : {}),
      }),
      sendOptions(signal),
    );
  } catch (error) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), sendOptions(undefined))
      .catch(() => undefined);
    throw error;
  }
}

/** Stores every part, `queueSize` at a time; the first to fail stops the others (their requests are aborted). */
async function uploadParts(options: Readonly<UploadFileOptions>, uploadId: string): Promise<CompletedPart[]> {
  const { client, bucket, key, digest, signal } = options;
  const fullObject = options.algorithm === 'CRC32C';
  const parts = partCount(digest.bytes, digest.partSize);
  const failed = new AbortController();
  const partSignal = signal === undefined ? failed.signal : AbortSignal.any([signal, failed.signal]);
  const stored: CompletedPart[] = [];
  let next = 0;
  const fd = openSync(options.filePath, 'r');
  const worker = async (): Promise<void> => {
    const buffer = Buffer.allocUnsafe(digest.partSize);
    for (let index = next++; index < parts && !partSignal.aborted; index = next++) {
      const position = index * digest.partSize;
      const body = readExactly(fd, buffer, position, Math.min(digest.partSize, digest.bytes - position));
      const checksum = (fullObject ? digest.partCrc32c : digest.partSha256)[index]?.toString('base64');
      const sum = fullObject ? { ChecksumCRC32C: checksum } : { ChecksumSHA256: checksum };
      const part = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: index + 1,
          Body: body,
          ContentLength: body.length,
          ...sum,
        }),
        sendOptions(partSignal),
      );
      stored[index] = { PartNumber: index + 1, ETag: part.ETag, ...sum };
      options.onPartStored?.();
    }
  };
  try {
    const workers = Array.from({ length: Math.min(options.queueSize, parts) }, () => worker());
    await Promise.all(
      workers.map((w) =>
        w.catch((error: unknown) => {
          if (!failed.signal.aborted) failed.abort(error);
        }),
      ),
    );
  } finally {
    closeSync(fd);
  }
  if (failed.signal.aborted) throw failed.signal.reason;
  signal?.throwIfAborted();
  return stored;
}

/** The file in one PUT with its whole-object checksum: the store rejects a body that does not match it. */
async function putWhole(options: Readonly<UploadFileOptions>): Promise<void> {
  const { digest, algorithm } = options;
  const fd = openSync(options.filePath, 'r');
  let body: Buffer;
  try {
    body = readExactly(fd, Buffer.allocUnsafe(digest.bytes), 0, digest.bytes);
  } finally {
    closeSync(fd);
  }
  await options.client.send(
    new PutObjectCommand({
      Bucket: options.bucket,
      Key: options.key,
      Body: body,
      ContentLength: body.length,
      ContentType: options.contentType,
      Metadata: { ...options.metadata },
      ChecksumAlgorithm: algorithm,
      ...(algorithm === 'CRC32C' ? { ChecksumCRC32C: digest.crc32c } : { ChecksumSHA256: digest.sha256 }),
      ...(options.conditionalWrite ? { IfNoneMatch: '*' } : {}),
    }),
    sendOptions(options.signal),
  );
}

/**
 * The `length` bytes of the file at `position`, read into `buffer` synchronously (fileChunks says
 * why). A file shorter than its digest says changed after it was hashed: refused.
 */
function readExactly(fd: number, buffer: Buffer, position: number, length: number): Buffer {
  let filled = 0;
  while (filled < length) {
    const read = readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) throw new Error(`the file ended at byte ${position + filled}, not at ${position + length} as when it was hashed`);
    filled += read;
  }
  return buffer.subarray(0, length);
}
