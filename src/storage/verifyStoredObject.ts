import { createHash, type Hash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { expectedChecksum, partCount, readFileParts, type ChecksumAlgorithm, type FileDigest } from './fileDigest.js';
import { isNotFound } from './s3ErrorText.js';
import { sendOptions } from './sendOptions.js';

/**
 * How the stored object was proven equal to the local file:
 * - `serverChecksum`: the store's own whole-object checksum (FULL_OBJECT or single PUT) equals ours;
 * - `serverCompositeChecksum`: the store's checksum-of-part-checksums (`-N`), rebuilt locally, equals ours;
 * - `serverEtag`: the store keeps no checksum, and its ETag, the MD5 of the bytes it holds (whole,
 *   or of the parts' MD5s with `-N`, as S3 makes it for a multipart upload without encryption),
 *   equals the local file's, hashed again for it;
 * - `readBack`: the object was downloaded and its bytes hashed, because the store keeps no
 *   checksum or ETag we can rebuild (a composite of another part size, an encrypted object's
 *   ETag) or keeps a checksum that disagrees (moto records a CRC-32 under the CRC32C name). A
 *   checksum or ETag that disagrees is not proof of a wrong object; the bytes are.
 */
export type VerifiedBy = 'serverChecksum' | 'serverCompositeChecksum' | 'serverEtag' | 'readBack';

export type Verification =
  | {
      readonly match: true;
      readonly by: VerifiedBy;
      readonly etag: string | undefined;
      /** The store's checksum when it proved the match; undefined when the bytes did. */
      readonly stored: StoredChecksum | undefined;
      /** Why the store's checksum could not prove it, when it disagreed with bytes that are equal. */
      readonly disagreement?: string;
    }
  | {
      readonly match: false;
      readonly reason: string;
      readonly missing?: true;
    };

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
 * Proves (or disproves) that the object at `key` holds exactly the local file at `filePath`. A
 * stored checksum equal to ours proves it; without one, an MD5 ETag equal to the local file's;
 * a different size disproves it; anything else (a checksum or ETag we cannot rebuild, one that
 * disagrees) is settled by reading the object back. So a mismatch is always proven by the
 * store's size or bytes, never by a checksum the store may have computed wrongly. `head` saves a
 * request when known.
 */
export async function verifyStoredObject(
  client: S3Client,
  bucket: string,
  key: string,
  local: Readonly<{ filePath: string; digest: FileDigest }>,
  prefer: ChecksumAlgorithm,
  options: Readonly<{ head?: HeadObjectCommandOutput; signal?: AbortSignal }> = {},
): Promise<Verification> {
  const { digest } = local;
  const head = options.head ?? (await headObject(client, bucket, key, options.signal));
  if (head === undefined) return { match: false, reason: 'no object is stored at the key', missing: true };
  if (head.ContentLength !== undefined && head.ContentLength !== digest.bytes) {
    return { match: false, reason: `the stored object has ${head.ContentLength} bytes, the local file ${digest.bytes}` };
  }
  let disagreement: string | undefined;
  for (const stored of storedChecksums(head, prefer)) {
    const same = compareStoredChecksum(stored, digest);
    if (same === true) {
      return { match: true, by: stored.type === 'COMPOSITE' ? 'serverCompositeChecksum' : 'serverChecksum', etag: head.ETag, stored };
    }
    if (same === false) disagreement ??= `the stored ${stored.algorithm} checksum ${stored.value} differs from the local file's`;
  }
  // Hashing the local file again costs far less than downloading the object (s3rver keeps no checksums).
  const etag = md5Etag(head.ETag, digest);
  if (
    disagreement === undefined &&
    etag !== undefined &&
    etag.value === (await localMd5Etag(local.filePath, digest, etag.parts, options.signal))
  ) {
    return { match: true, by: 'serverEtag', etag: head.ETag, stored: undefined };
  }
  const read = await readBack(client, bucket, key, digest.bytes, options.signal);
  if (read.bytes !== digest.bytes || read.sha256Hex !== digest.sha256Hex) {
    const why = disagreement === undefined ? '' : `${disagreement}, and `;
    return {
      match: false,
      reason: `${why}reading the stored object back gave ${read.bytes} bytes with another sha256 than the local file`,
    };
  }
  const storedEtag = read.etag ?? head.ETag;
  return disagreement === undefined
    ? { match: true, by: 'readBack', etag: storedEtag, stored: undefined }
    : { match: true, by: 'readBack', etag: storedEtag, stored: undefined, disagreement };
}

/**
 * The store's ETag as an MD5 we can rebuild: 32 hex digits (one PUT, or a store that hashes a
 * multipart object whole, as s3rver does), or with `-N` when N is the part count of our layout.
 */
function md5Etag(etag: string | undefined, digest: FileDigest): { value: string; parts: number | undefined } | undefined {
  const match = /^"?([0-9a-f]{32})(?:-(\d+))?"?$/.exec(etag ?? '');
  if (match === null) return undefined;
  const parts = match[2] === undefined ? undefined : Number(match[2]);
  if (parts !== undefined && parts !== partCount(digest.bytes, digest.partSize)) return undefined;
  return { value: match[1]! + (parts === undefined ? '' : `-${parts}`), parts };
}

/**
 * The local file's MD5 as an ETag: whole, or (`parts`) the MD5 of its parts' MD5s. Undefined
 * when the file is no longer what `digest` hashed: then the store's MD5 of it would prove nothing
 * about the bytes the run means to deliver. Rejects with the signal's reason once it is aborted.
 */
async function localMd5Etag(
  filePath: string,
  digest: FileDigest,
  parts: number | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  const sha256 = createHash('sha256');
  const whole = createHash('md5');
  const partMd5: Hash[] = [];
  const bytes = await readFileParts(
    filePath,
    digest.partSize,
    {
      whole: (chunk) => {
        sha256.update(chunk);
        if (parts === undefined) whole.update(chunk);
      },
      part: (piece, index) => {
        if (parts !== undefined) (partMd5[index] ??= createHash('md5')).update(piece);
      },
    },
    signal,
  );
  if (bytes !== digest.bytes || sha256.digest('hex') !== digest.sha256Hex) return undefined;
  if (parts === undefined) return whole.digest('hex');
  const joined = Buffer.concat(Array.from({ length: parts }, (_, index) => (partMd5[index] ?? createHash('md5')).digest()));
  return `${createHash('md5').update(joined).digest('hex')}-${parts}`;
}

/**
 * Streams the object once, hashing it: memory stays at one chunk whatever its size. Stops
 * reading once it holds more bytes than expected (it is already known to differ).
 */
async function readBack(
  client: S3Client,
  bucket: string,
  key: string,
  expected: number,
  signal: AbortSignal | undefined,
): Promise<{ bytes: number; sha256Hex: string; etag: string | undefined }> {
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  // The SDK would check the body against the store's checksum header and throw on a mismatch:
  // that header is what is in doubt here, the bytes are hashed below. It checks only when the
  // input says ChecksumMode ENABLED (which it sets by default), so that is cleared once the
  // request is serialized.
  command.middlewareStack.add(
    (next) => async (args) => next({ ...args, input: { ...(args.input as object), ChecksumMode: undefined } as typeof args.input }),
    { step: 'build', name: 'ingestReadBackUnchecked' },
  );
  const read = await client.send(command, sendOptions(signal));
  const hash = createHash('sha256');
  let bytes = 0;
  const body = read.Body as AsyncIterable<Uint8Array> | undefined;
  if (body !== undefined) {
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes > expected) break;
    }
  }
  return { bytes, sha256Hex: hash.digest('hex'), etag: read.ETag };
}
