import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { crc32c, crc32cBase64 } from '../checksum/crc32c.js';

export interface FileChecksums {
  readonly bytes: number;
  /** Hex. */
  readonly sha256: string;
  /** Base64 of the big-endian CRC-32C, as S3 wants it. */
  readonly crc32c: string;
}

/** Streams the file once, computing its size, SHA-256 and CRC-32C without holding it in memory. */
export async function fileChecksums(path: string): Promise<FileChecksums> {
  const sha = createHash('sha256');
  let crc = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    sha.update(buf);
    crc = crc32c(buf, crc);
    bytes += buf.length;
  }
  return { bytes, sha256: sha.digest('hex'), crc32c: crc32cBase64(crc) };
}
