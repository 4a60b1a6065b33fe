import type { ResolvedRunConfig } from '../config/loadRunConfig.js';

/** The file's checksum in the form the object store compares: base64 of CRC-32C or SHA-256. */
export function storeChecksum(file: Readonly<{ crc32c: string; sha256: string }>, algorithm: ResolvedRunConfig['checksum']): string {
  return algorithm === 'CRC32C' ? file.crc32c : Buffer.from(file.sha256, 'hex').toString('base64');
}
