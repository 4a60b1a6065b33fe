import { open, rename, rm } from 'node:fs/promises';
import { IngestError } from '../errors.js';

/** Numbers this process's writes: two at once to the same path use two temporary files. */
let writes = 0;

/** Writes `text` so that a reader sees either the old file or the whole new one, never a part. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${++writes}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw new IngestError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
