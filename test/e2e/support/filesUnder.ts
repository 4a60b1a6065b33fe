import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under `dir`, with its bytes (for proving a secret is in none of them). */
export async function filesUnder(dir: string): Promise<{ name: string; bytes: Buffer }[]> {
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  return Promise.all(entries.map(async (f) => ({ name: join(f.parentPath, f.name), bytes: await readFile(join(f.parentPath, f.name)) })));
}
