import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { crc32c, crc32cBase64 } from '../checksum/crc32c.js';

export interface FileChecksums {
  readonly bytes: number;
  /** Hex. */
  readonly sha256: string;
  /** Base64 of the big-endian CRC-32C, as S3 wants it. */
  readonly crc32c: string;
}

const CHUNK = 1 << 20;

/**
 * Reads the file once through ONE reused buffer, computing its size, SHA-256 and CRC-32C
 * without holding it in memory (a read stream allocates a fresh buffer per chunk, which piles
 * up as external memory until a GC: tens of MB of RSS over a large file).
 */
export async function fileChecksums(path: string): Promise<FileChecksums> {
  const sha = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let crc = 0;
  let bytes = 0;
  const file = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      sha.update(chunk);
      crc = crc32c(chunk, crc);
      bytes += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { bytes, sha256: sha.digest('hex'), crc32c: crc32cBase64(crc) };
}
