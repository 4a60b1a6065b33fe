import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/runtime/random.js';

/** `bytes` of seeded pseudo-random content: same seed, same bytes; different seeds differ. */
export function testBytes(bytes: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) out.writeUInt32LE(Math.floor(random() * 0x1_0000_0000), i);
  for (let i = bytes - (bytes % 4); i < bytes; i++) out[i] = Math.floor(random() * 256);
  return out;
}

export async function tempDir(prefix = 'ingest-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Writes seeded content to `dir/name` and returns its path and the bytes written. */
export async function writeTestFile(dir: string, name: string, bytes: number, seed: number): Promise<{ path: string; content: Buffer }> {
  const content = testBytes(bytes, seed);
  const path = join(dir, name);
  await writeFile(path, content);
  return { path, content };
}
