import { closeSync, openSync, readSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * The bytes of the file at `path`, in chunks of `chunkSize` read into one buffer: a chunk is
 * valid until the next is asked for (digesting a 400 MB file in fresh buffers left hundreds of
 * MB of them to the garbage collector). Read synchronously with a turn of the event loop
 * between chunks, not through libuv's thread pool: it has one thread (src/cli/threadpool.cts),
 * which DuckDB's report queries hold while a file is delivered, so a read queued behind them
 * waited for all of them (1M records: the upload started 1.9 s late). A file just written is in
 * the page cache: a chunk costs a copy.
 */
export async function* fileChunks(path: string, chunkSize: number, signal?: AbortSignal): AsyncGenerator<Buffer, void, undefined> {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(chunkSize);
  try {
    for (;;) {
      signal?.throwIfAborted();
      const read = readSync(fd, buffer, 0, chunkSize, null);
      if (read === 0) return;
      yield read === chunkSize ? buffer : buffer.subarray(0, read);
      await nextTurn();
    }
  } finally {
    closeSync(fd);
  }
}
