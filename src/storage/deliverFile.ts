// Over 300 lines on purpose: one delivery protocol (is it there already, upload, verify against
// what the store did, withdraw a proven-wrong object), whose steps share the key and the abort
// handling; the helpers below serve only it.
import { statSync } from 'node:fs';
import { DeleteObjectCommand, ListObjectsV2Command, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { IngestError, UploadError } from '../errors.js';
import { crashPoint } from '../faults/crashPoint.js';
import { realClock } from '../runtime/clock.js';
import { abortStaleUploads } from './abortStaleUploads.js';
import { clientKeyMaterial } from './createS3Client.js';
import { digestFile, partCount, type ChecksumAlgorithm, type FileDigest } from './fileDigest.js';
import { objectKeyProblems, partitionOf } from './objectKey.js';
import { metadataProblems } from './objectMetadata.js';
import { describeS3Error, isPreconditionFailed, safeCause } from './s3ErrorText.js';
import { sendOptions } from './sendOptions.js';
import { fileChanged, uploadFile, type SentChecksums } from './uploadFile.js';
import { headObject, verifyStoredObject, type StoredChecksum, type Verification, type VerifiedBy } from './verifyStoredObject.js';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;
/** S3 takes at most this many parts in one multipart upload. */
export const MAX_PARTS = 10_000;

/**
 * The part size for a file of `bytes`: `partSize`, grown (in whole MiB) when the file would
 * otherwise need more than MAX_PARTS parts.
 */
export function partSizeFor(bytes: number, partSize: number): number {
  const MiB = 1024 * 1024;
  return Math.max(partSize, Math.ceil(bytes / MAX_PARTS / MiB) * MiB);
}

export interface DeliverFileOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly filePath: string;
  /** The checksum the store keeps: CRC32C (as one FULL_OBJECT value) or SHA256 (composite when multipart). */
  readonly checksum?: ChecksumAlgorithm;
  /** Hex sha256 the writer computed; the file is refused if it no longer hashes to it. */
  readonly sha256?: string;
  /** Base64 CRC-32C the writer computed, checked the same way. */
  readonly crc32c?: string;
  readonly contentType?: string;
  /** User metadata; must not hold secrets (checked). `sha256` is set by us. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Multipart part size in bytes, 5 MiB..5 GiB, grown for files beyond 10,000 parts; files up to it go in one PUT. */
  readonly partSize?: number;
  /** Parts in flight at once; each buffers `partSize` bytes. */
  readonly queueSize?: number;
  /** Send `If-None-Match: *` so a concurrent writer cannot be overwritten (ignored by s3rver). */
  readonly conditionalWrite?: boolean;
  /** Abort unfinished multipart uploads of this key (left by a killed run) before uploading. */
  readonly abortStale?: boolean;
  /**
   * Refuse when the key's partition (its "directory") already holds any other object, so a
   * partition never has more than one data file (e.g. a second run on the same ingest date).
   */
  readonly exclusivePartition?: boolean;
  /**
   * Waits, ms, before proving an object the store has just acknowledged again, when it does not
   * match yet: some stores (s3rver) answer a PUT before its bytes have landed. S3 itself reads
   * its writes at once, so this costs nothing there.
   */
  readonly settleDelaysMs?: readonly number[];
  readonly logger?: Logger;
}

export const DELIVER_DEFAULTS = {
  checksum: 'CRC32C',
  // The upload holds queueSize parts in memory (uploadFile).
  partSize: MIN_PART_SIZE,
  queueSize: 2,
  conditionalWrite: true,
  abortStale: true,
  exclusivePartition: false,
  settleDelaysMs: [100, 1000],
  contentType: 'application/octet-stream',
} as const;

export interface Delivery {
  readonly status: 'uploaded' | 'alreadyDelivered';
  readonly uri: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly bytes: number;
  /** The store's checksum when it proved the object, else the local whole-object value (the bytes read back proved it). */
  readonly checksum: { readonly algorithm: ChecksumAlgorithm; readonly value: string; readonly type: 'FULL_OBJECT' | 'COMPOSITE' };
  readonly sha256: string;
  readonly verifiedBy: VerifiedBy;
  readonly parts: number;
}

/**
 * Delivers one file to `s3://bucket/key` exactly once: never overwrites other content, treats
 * the same content already there as delivered, aborts a failed multipart upload, and proves the
 * stored object equal to the local file before returning.
 */
export async function deliverFile(options: Readonly<DeliverFileOptions>): Promise<Delivery> {
  const { client, bucket, key, filePath, signal } = options;
  const algorithm = options.checksum ?? DELIVER_DEFAULTS.checksum;
  const requestedPartSize = options.partSize ?? DELIVER_DEFAULTS.partSize;
  const queueSize = options.queueSize ?? DELIVER_DEFAULTS.queueSize;
  const log = options.logger?.child({ component: 'storage' });
  validate(options, requestedPartSize, queueSize);
  const uri = `s3://${bucket}/${key}`;
  const secrets = await clientKeyMaterial(client);
  const fail = (what: string, error: unknown): UploadError =>
    new UploadError(`${what} for ${uri} failed (${describeS3Error(error, secrets)}).`, { cause: safeCause(error, secrets) });

  // Synchronous, like every read of the file here (fileChunks says why).
  const bytes = statSync(filePath).size;
  const partSize = partSizeFor(bytes, requestedPartSize);
  const parts = partCount(bytes, partSize);
  // The writer's checksums spare a pass over the file before the upload, which hashes what it
  // reads and proves it against them; without them the file is hashed first.
  const { whole, digest: before } = await checksumsToProve(options, algorithm, partSize);

  const existing = await guard(
    () => headObject(client, bucket, key, signal),
    (e) => fail('Checking for an existing object', e),
    signal,
  );
  if (existing !== undefined) {
    return await alreadyThere(options, before ?? (await checkedDigest(options, partSize)), algorithm, { head: existing }, parts, fail);
  }

  if (options.exclusivePartition ?? DELIVER_DEFAULTS.exclusivePartition) {
    const partition = partitionOf(key);
    const listed = await guard(
      () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partition, MaxKeys: 2 }), sendOptions(signal)),
      (e) => fail('Listing the partition', e),
      signal,
    );
    const others = (listed.Contents ?? []).map((o) => o.Key).filter((k) => k !== key);
    if (others.length > 0) {
      throw new UploadError(
        `Refusing to write ${uri}: its partition s3://${bucket}/${partition} already holds another object (${String(others[0])}) and must hold one data file. Use another ingest date or prefix, or remove it.`,
      );
    }
  }

  if (options.abortStale ?? DELIVER_DEFAULTS.abortStale) {
    const stale = await abortStaleUploads(client, bucket, key, signal);
    if (stale.aborted > 0) log?.info({ key, aborted: stale.aborted }, 'aborted unfinished multipart uploads left by an earlier run');
  }

  const multipart = parts > 1;
  log?.info({ key, bytes, parts, algorithm }, 'uploading');
  let digest: FileDigest;
  try {
    const sent = await uploadFile({
      client,
      bucket,
      key,
      filePath,
      bytes,
      partSize,
      expected: { ...(whole.crc32c === undefined ? {} : { crc32c: whole.crc32c }), sha256: hexToBase64(whole.sha256Hex) },
      algorithm,
      queueSize,
      contentType: options.contentType ?? DELIVER_DEFAULTS.contentType,
      metadata: { ...options.metadata, sha256: whole.sha256Hex },
      conditionalWrite: options.conditionalWrite ?? DELIVER_DEFAULTS.conditionalWrite,
      ...sendSignal(signal),
      onPartStored: () => crashPoint('upload.midMultipart'),
    });
    digest = before ?? sentDigest(bytes, partSize, whole.sha256Hex, sent, algorithm);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof UploadError) throw error;
    if (isPreconditionFailed(error)) {
      // Another writer created the key between our check and our write: judge what is there now.
      return await alreadyThere(options, before ?? (await checkedDigest(options, partSize)), algorithm, {}, parts, fail);
    }
    throw fail('Uploading', error);
  }
  const localValue = algorithm === 'CRC32C' ? digest.crc32c : digest.sha256;

  const verify = (): Promise<Verification> =>
    guard(
      () => verifyStoredObject(client, bucket, key, { filePath, digest }, algorithm, sendSignal(signal)),
      (e) => fail('Verifying the uploaded object', e),
      signal,
    );
  let verification = await verify();
  for (const ms of options.settleDelaysMs ?? DELIVER_DEFAULTS.settleDelaysMs) {
    if (verification.match) break;
    log?.debug({ key, reason: verification.reason, waitMs: ms }, 'the store does not show the upload yet: verifying again');
    await realClock.sleep(ms, signal);
    verification = await verify();
  }
  if (!verification.match) {
    // Proven wrong by its size or its bytes (never by a checksum alone), and created by us
    // (conditional write): removing it restores "nothing at the key".
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    throw new UploadError(
      `The object uploaded to ${uri} does not match the local file (${verification.reason}); it was removed. Retry the delivery.`,
    );
  }
  if (verification.disagreement !== undefined) {
    log?.warn(
      { key, disagreement: verification.disagreement },
      "the store's checksum disagrees with the bytes it holds; the bytes read back are the local file's",
    );
  }
  log?.info({ key, verifiedBy: verification.by }, 'uploaded and verified');
  return {
    status: 'uploaded',
    uri,
    bucket,
    key,
    etag: verification.etag,
    bytes: digest.bytes,
    checksum: reported(verification.stored, algorithm, localValue, multipart),
    sha256: digest.sha256Hex,
    verifiedBy: verification.by,
    parts,
  };
}

async function alreadyThere(
  options: Readonly<DeliverFileOptions>,
  digest: FileDigest,
  algorithm: ChecksumAlgorithm,
  known: Readonly<{ head?: HeadObjectCommandOutput }>,
  parts: number,
  fail: (what: string, error: unknown) => UploadError,
): Promise<Delivery> {
  const { client, bucket, key, signal } = options;
  const uri = `s3://${bucket}/${key}`;
  const verification = await guard(
    () => verifyStoredObject(client, bucket, key, { filePath: options.filePath, digest }, algorithm, { ...known, ...sendSignal(signal) }),
    (e) => fail('Checking the existing object', e),
    signal,
  );
  if (!verification.match && verification.missing) {
    // A conditional write lost to a writer whose upload is not visible yet (or was removed).
    throw new UploadError(
      `Another writer is writing ${uri} at the same time: not overwriting it. Check for a concurrent run with this run id.`,
    );
  }
  if (!verification.match) {
    throw new UploadError(
      `Refusing to overwrite ${uri}: an object with different content is already there (${verification.reason}). Use a new run id or remove the object.`,
    );
  }
  options.logger?.child({ component: 'storage' }).info({ key, verifiedBy: verification.by }, 'already delivered');
  const localValue = algorithm === 'CRC32C' ? digest.crc32c : digest.sha256;
  return {
    status: 'alreadyDelivered',
    uri,
    bucket,
    key,
    etag: verification.etag,
    bytes: digest.bytes,
    checksum: reported(verification.stored, algorithm, localValue, parts > 1),
    sha256: digest.sha256Hex,
    verifiedBy: verification.by,
    parts,
  };
}

function reported(
  stored: StoredChecksum | undefined,
  algorithm: ChecksumAlgorithm,
  localValue: string,
  multipart: boolean,
): Delivery['checksum'] {
  if (stored !== undefined) return stored;
  return { algorithm, value: localValue, type: multipart && algorithm === 'SHA256' ? 'COMPOSITE' : 'FULL_OBJECT' };
}

interface WriterChecksums {
  readonly sha256Hex: string;
  readonly crc32c?: string;
}

/**
 * The whole file's checksums the upload must read: its writer's when they can prove it (its
 * sha256, and its CRC-32C when that is the store's), else the file's digest, taken now.
 */
async function checksumsToProve(
  options: Readonly<DeliverFileOptions>,
  algorithm: ChecksumAlgorithm,
  partSize: number,
): Promise<{ readonly whole: WriterChecksums; readonly digest?: FileDigest }> {
  const { sha256, crc32c } = options;
  if (sha256 !== undefined && (algorithm === 'SHA256' || crc32c !== undefined)) {
    return { whole: crc32c === undefined ? { sha256Hex: sha256.toLowerCase() } : { sha256Hex: sha256.toLowerCase(), crc32c } };
  }
  const digest = await checkedDigest(options, partSize);
  return { whole: digest, digest };
}

/** The file hashed whole and by part, refused when it no longer matches what its writer computed. */
async function checkedDigest(options: Readonly<DeliverFileOptions>, partSize: number): Promise<FileDigest> {
  const { filePath } = options;
  const digest = await digestFile(filePath, partSize, options.signal);
  if (options.sha256 !== undefined && options.sha256.toLowerCase() !== digest.sha256Hex) throw fileChanged(filePath, 'sha256');
  if (options.crc32c !== undefined && options.crc32c !== digest.crc32c) throw fileChanged(filePath, 'CRC-32C');
  return digest;
}

/** The digest of an upload's bytes: their checksums as sent, each part's of the algorithm only. */
function sentDigest(bytes: number, partSize: number, sha256Hex: string, sent: SentChecksums, algorithm: ChecksumAlgorithm): FileDigest {
  return {
    bytes,
    partSize,
    sha256Hex,
    sha256: hexToBase64(sha256Hex),
    crc32c: sent.crc32c,
    partSha256: algorithm === 'SHA256' ? sent.parts : [],
    partCrc32c: algorithm === 'CRC32C' ? sent.parts : [],
  };
}

const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

function sendSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

/** Runs an S3 step; an abort passes through untouched, anything else becomes a safe UploadError. */
async function guard<T>(step: () => Promise<T>, wrap: (error: unknown) => UploadError, signal: AbortSignal | undefined): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof IngestError) throw error;
    throw wrap(error);
  }
}

function validate(options: Readonly<DeliverFileOptions>, partSize: number, queueSize: number): void {
  const problems: string[] = [];
  if (options.bucket === '') problems.push('bucket is empty');
  problems.push(...objectKeyProblems(options.key));
  if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    problems.push(`partSize must be an integer from ${MIN_PART_SIZE} (5 MiB) to ${MAX_PART_SIZE} (5 GiB) bytes, got ${partSize}`);
  }
  if (!Number.isInteger(queueSize) || queueSize < 1) problems.push(`queueSize must be an integer >= 1, got ${queueSize}`);
  if (options.checksum !== undefined && options.checksum !== 'CRC32C' && options.checksum !== 'SHA256') {
    problems.push(`checksum must be CRC32C or SHA256, got ${String(options.checksum)}`);
  }
  problems.push(...metadataProblems(options.metadata ?? {}));
  if (options.settleDelaysMs?.some((ms) => !Number.isFinite(ms) || ms < 0)) {
    problems.push(`settleDelaysMs must hold finite numbers >= 0, got [${options.settleDelaysMs.join(', ')}]`);
  }
  if (problems.length > 0) throw new UploadError(`Cannot deliver to s3://${options.bucket}/${options.key}: ${problems.join('; ')}.`);
}
