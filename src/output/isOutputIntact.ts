import { stat } from 'node:fs/promises';
import type { OutputRecord } from '../staging/stagingTypes.js';
import { fileChecksums } from './fileChecksums.js';

/**
 * Whether the final file a run recorded is still there with the same bytes: a resumed run
 * skips writing only then, and otherwise writes it again.
 */
export async function isOutputIntact(output: Readonly<OutputRecord>): Promise<boolean> {
  const info = await stat(output.path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size !== output.bytes) return false;
  const sums = await fileChecksums(output.path);
  return sums.sha256 === output.sha256 && sums.crc32c === output.crc32c;
}
