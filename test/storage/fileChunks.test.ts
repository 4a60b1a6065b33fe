import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../../src/storage/index.js';
import { fileChunks } from '../../src/storage/fileChunks.js';
import { tempDir, testBytes } from '../support/writeTestFile.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Holds every thread of libuv's pool (one per test process: vitest runs files in forks) in an
 * open of a FIFO no one writes to, as DuckDB's queries hold it during a delivery; `release`
 * opens the FIFO for writing, which lets every one of them go.
 */
async function holdThreadPool(): Promise<{ release: () => Promise<void> }> {
  const fifo = join(dir, 'pool.fifo');
  execFileSync('mkfifo', [fifo]);
  const size = Number(process.env['UV_THREADPOOL_SIZE'] ?? 4);
  const held = Array.from({ length: size }, () => open(fifo, 'r'));
  return {
    release: async () => {
      closeSync(openSync(fifo, 'w'));
      for (const handle of await Promise.all(held)) await handle.close();
      await rm(fifo);
    },
  };
}

describe('fileChunks', () => {
  it('reads a file whole, in chunks of the size asked (the last one short), all in one buffer', async () => {
    const data = testBytes(2_500_000, 1);
    const path = join(dir, 'chunks.bin');
    writeFileSync(path, data);
    const chunks: Buffer[] = [];
    const copies: Buffer[] = [];
    for await (const chunk of fileChunks(path, 1 << 20)) {
      chunks.push(chunk);
      copies.push(Buffer.from(chunk));
    }
    expect(copies.map((c) => c.length)).toEqual([1 << 20, 1 << 20, 2_500_000 - 2 * (1 << 20)]);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(1);
    expect(Buffer.concat(copies).equals(data)).toBe(true);
  });

  it('stops at an aborted signal', async () => {
    const path = join(dir, 'abort.bin');
    writeFileSync(path, testBytes(3_000_000, 2));
    const controller = new AbortController();
    const read: number[] = [];
    await expect(async () => {
      for await (const chunk of fileChunks(path, 1 << 20, controller.signal)) {
        read.push(chunk.length);
        controller.abort(new Error('stop'));
      }
    }).rejects.toThrow('stop');
    expect(read).toEqual([1 << 20]);
  });

  it("digests a file while every thread of libuv's pool is held (as DuckDB's report queries hold it during a delivery)", async () => {
    const data = testBytes(2_500_000, 1);
    const path = join(dir, 'digest.bin');
    writeFileSync(path, data);
    const pool = await holdThreadPool();
    let digested = false;
    const digest = digestFile(path, 1 << 20).finally(() => (digested = true));
    try {
      // A read through the pool could not finish before the release below; these turns are plenty for three chunks.
      for (let turn = 0; turn < 100 && !digested; turn++) await nextTurn();
      expect(digested).toBe(true);
    } finally {
      await pool.release();
    }
    expect((await digest).sha256Hex).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
