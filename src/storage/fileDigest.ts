import { createHash, type Hash } from 'node:crypto';
import { crc32c, crc32cBytes, crc32cCombine } from '../checksum/crc32c.js';
import { fileChunks } from './fileChunks.js';

/** The checksum algorithms a delivery can ask the store to keep. */
export type ChecksumAlgorithm = 'CRC32C' | 'SHA256';

/**
 * What a file hashes to, whole and per upload part: the whole-object values are what we expect
 * from a FULL_OBJECT checksum, the per-part digests let us rebuild a COMPOSITE one (`-N`).
 */
export interface FileDigest {
  readonly bytes: number;
  readonly partSize: number;
  readonly sha256Hex: string;
  /** Base64, as S3 prints `ChecksumSHA256`. */
  readonly sha256: string;
  /** Base64 of the 4 big-endian bytes, as S3 prints `ChecksumCRC32C`. */
  readonly crc32c: string;
  /** Each part's; a digest of an upload's bytes holds only its algorithm's (the other is empty). */
  readonly partSha256: readonly Buffer[];
  readonly partCrc32c: readonly Buffer[];
}

/** Number of parts an upload of `bytes` takes: one PUT while bytes <= partSize. */
export function partCount(bytes: number, partSize: number): number {
  return bytes <= partSize ? 1 : Math.ceil(bytes / partSize);
}

/**
 * Reads the file at `path` once for hashing: `whole` gets every chunk, `part` every piece of the
 * part (of `partSize` bytes, numbered from 0) it belongs to. Returns the bytes read; a part that
 * got no piece (the one part of an empty file) is the caller's to hash as empty.
 */
export async function readFileParts(
  path: string,
  partSize: number,
  hash: Readonly<{ whole(chunk: Buffer): void; part(piece: Buffer, index: number): void }>,
  signal?: AbortSignal,
): Promise<number> {
  let bytes = 0;
  for await (const chunk of fileChunks(path, 1 << 20, signal)) {
    hash.whole(chunk);
    for (let offset = 0; offset < chunk.length;) {
      const position = bytes + offset;
      const take = Math.min(partSize - (position % partSize), chunk.length - offset);
      hash.part(chunk.subarray(offset, offset + take), Math.floor(position / partSize));
      offset += take;
    }
    bytes += chunk.length;
  }
  return bytes;
}

/**
 * Streams the file once, computing sha256 whole and per part of `partSize`, and CRC-32C per part:
 * the whole file's CRC-32C is combined from the parts' (`crc32cCombine`), not computed again.
 */
export async function digestFile(path: string, partSize: number, signal?: AbortSignal): Promise<FileDigest> {
  const whole = createHash('sha256');
  const partHashes: Hash[] = [];
  const partCrcs: number[] = [];
  const bytes = await readFileParts(
    path,
    partSize,
    {
      whole: (chunk) => whole.update(chunk),
      part: (piece, index) => {
        (partHashes[index] ??= createHash('sha256')).update(piece);
        partCrcs[index] = crc32c(piece, partCrcs[index] ?? 0);
      },
    },
    signal,
  );
  const parts = Array.from({ length: partCount(bytes, partSize) }, (_, index) => index);
  // Every part but the last holds partSize bytes.
  const wholeCrc = parts.reduce((crc, index) => crc32cCombine(crc, partCrcs[index] ?? 0, Math.min(partSize, bytes - index * partSize)), 0);
  const digest = whole.digest();
  return {
    bytes,
    partSize,
    sha256Hex: digest.toString('hex'),
    sha256: digest.toString('base64'),
    crc32c: crc32cBytes(wholeCrc).toString('base64'),
    partSha256: parts.map((index) => (partHashes[index] ?? createHash('sha256')).digest()),
    partCrc32c: parts.map((index) => crc32cBytes(partCrcs[index] ?? 0)),
  };
}

/**
 * The value S3 reports for `algorithm` after an upload in `parts` parts of `digest.partSize`:
 * the whole-object value for FULL_OBJECT (or a single PUT), otherwise the checksum of the
 * concatenated part checksums followed by `-N`. Undefined when our part layout cannot give
 * that part count (the object was uploaded with another part size).
 */
export function expectedChecksum(
  digest: FileDigest,
  algorithm: ChecksumAlgorithm,
  type: 'FULL_OBJECT' | 'COMPOSITE',
  parts = 1,
): string | undefined {
  const whole = algorithm === 'CRC32C' ? digest.crc32c : digest.sha256;
  if (type === 'FULL_OBJECT') return whole;
  const ours = algorithm === 'CRC32C' ? digest.partCrc32c : digest.partSha256;
  if (ours.length !== parts || partCount(digest.bytes, digest.partSize) !== parts) return undefined;
  const joined = Buffer.concat(ours);
  const value =
    algorithm === 'CRC32C' ? crc32cBytes(crc32c(joined)).toString('base64') : createHash('sha256').update(joined).digest('base64');
  return `${value}-${parts}`;
}
