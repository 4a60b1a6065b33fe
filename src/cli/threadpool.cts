/**
 * libuv's thread pool runs every DuckDB call of `@duckdb/node-api` (and file I/O). Node starts it
 * with four threads, and glibc gives each thread that allocates its own malloc arena, which keeps
 * what DuckDB freed for later use by that thread instead of returning it: with DuckDB's work
 * spread over four threads, a 1M-record calm run peaked 293 MB, with one 259 MB, reporting 293
 * → 216 MB (MALLOC_ARENA_MAX=2 bought less: 268 MB). DuckDB calls are serialised on the staging
 * store's one connection anyway: whole runs with one thread and with four differed within this
 * machine's noise (some faster, some slower).
 *
 * CommonJS on purpose: libuv reads UV_THREADPOOL_SIZE once, when the pool
 * starts, and Node starts it to read an ES module entry, so only a CommonJS entry (bin.cjs)
 * can set it in time.
 */
const threadpool = {
  size: 1,
  /** Sets UV_THREADPOOL_SIZE in `env` to `size` unless it is set already (a user's choice wins). */
  favourOneThread(env: NodeJS.ProcessEnv = process.env): void {
    env['UV_THREADPOOL_SIZE'] ??= String(threadpool.size);
  },
};

export = threadpool;
