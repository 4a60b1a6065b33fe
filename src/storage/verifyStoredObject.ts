import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { expectedChecksum, type ChecksumAlgorithm, type FileDigest } from './fileDigest.js';
import { isNotFound } from './s3ErrorText.js';
import { sendOptions } from './sendOptions.js';

/**
 * How the stored object was proven equal to the local file:
 * - `serverChecksum`: the store's own whole-object checksum (FULL_OBJECT or single PUT);
 * - `serverCompositeChecksum`: the store's checksum-of-part-checksums (`-N`), rebuilt locally;
 * - `readBack`: the store keeps no usable checksum (s3rver), so the object was downloaded and
 *   its sha256 compared. The `x-amz-meta-sha256` we write is only used to refuse early: it is
 *   our own claim, not proof.
 */
export type VerifiedBy = 'serverChecksum' | 'serverCompositeChecksum' | 'readBack';

export type Verification =
  | { readonly match: true; readonly by: VerifiedBy; readonly etag: string | undefined; readonly stored: StoredChecksum | undefined }
  | { readonly match: false; readonly reason: string; readonly missing?: true };

export interface StoredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string;
  readonly type: 'FULL_OBJECT' | 'COMPOSITE';
  /** Parts of a composite: from the value's `-N`, else the multipart ETag's; unknown otherwise. */
  readonly parts?: number;
}

/** HeadObject with checksums; undefined when there is no object at the key. */
export async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
  signal?: AbortSignal,
): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), sendOptions(signal));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The checksums the store reports in a HeadObject answer, preferred algorithm first. */
export function storedChecksums(head: HeadObjectCommandOutput, prefer: ChecksumAlgorithm): StoredChecksum[] {
  const found: StoredChecksum[] = [];
  const order: ChecksumAlgorithm[] = prefer === 'CRC32C' ? ['CRC32C', 'SHA256'] : ['SHA256', 'CRC32C'];
  for (const algorithm of order) {
    const value = algorithm === 'CRC32C' ? head.ChecksumCRC32C : head.ChecksumSHA256;
    if (value === undefined || value === '') continue;
    const suffix = /-(\d+)$/.exec(value)?.[1] ?? /-(\d+)"?$/.exec(head.ETag ?? '')?.[1];
    const type = head.ChecksumType === 'COMPOSITE' || /-\d+$/.test(value) ? 'COMPOSITE' : 'FULL_OBJECT';
    found.push(
      type === 'COMPOSITE' && suffix !== undefined ? { algorithm, value, type, parts: Number(suffix) } : { algorithm, value, type },
    );
  }
  return found;
}

/**
 * Compares a stored checksum with the local digest. `undefined` means "cannot tell" (a composite
 * made with another part size), never "equal".
 */
export function compareStoredChecksum(stored: StoredChecksum, digest: FileDigest): boolean | undefined {
  // A composite's part count must come from the store: guessing it from our own part size
  // would call equal content different when it was uploaded with another part size.
  if (stored.type === 'COMPOSITE' && stored.parts === undefined) return undefined;
  const expected = expectedChecksum(digest, stored.algorithm, stored.type, stored.parts ?? 1);
  if (expected === undefined) return undefined;
  // Some stores print a composite without its `-N`; compare the value part then.
  const bare = (v: string): string => v.replace(/-\d+$/, '');
  return stored.type === 'COMPOSITE' ? bare(expected) === bare(stored.value) : expected === stored.value;
}

/**
 * Proves (or disproves) that the object at `key` holds exactly the local file: by the store's
 * checksum where it keeps one, else by reading it back. `head` saves a request when known.
 */
export async function verifyStoredObject(
  client: S3Client,
  bucket: string,
  key: string,
  digest: FileDigest,
  prefer: ChecksumAlgorithm,
  options: Readonly<{ head?: HeadObjectCommandOutput; signal?: AbortSignal }> = {},
): Promise<Verification> {
  const head = options.head ?? (await headObject(client, bucket, key, options.signal));
  if (head === undefined) return { match: false, reason: 'no object is stored at the key', missing: true };
  if (head.ContentLength !== undefined && head.ContentLength !== digest.bytes) {
    return { match: false, reason: `the stored object has ${head.ContentLength} bytes, the local file ${digest.bytes}` };
  }
  for (const stored of storedChecksums(head, prefer)) {
    const same = compareStoredChecksum(stored, digest);
    if (same === true) {
      return { match: true, by: stored.type === 'COMPOSITE' ? 'serverCompositeChecksum' : 'serverChecksum', etag: head.ETag, stored };
    }
    if (same === false) {
      return { match: false, reason: `the stored ${stored.algorithm} checksum ${stored.value} differs from the local file's` };
    }
  }
  const claimed = head.Metadata?.['sha256'];
  if (claimed !== undefined && claimed !== digest.sha256Hex) {
    return { match: false, reason: "the stored object's sha256 metadata differs from the local file's" };
  }
  const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), sendOptions(options.signal));
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of read.Body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  const sha256Hex = hash.digest('hex');
  if (bytes !== digest.bytes || sha256Hex !== digest.sha256Hex) {
    return { match: false, reason: `reading the stored object back gave ${bytes} bytes with another sha256 than the local file` };
  }
  return { match: true, by: 'readBack', etag: read.ETag ?? head.ETag, stored: undefined };
}
