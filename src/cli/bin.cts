#!/usr/bin/env node
/**
 * The `ingest` command (package.json `bin`). CommonJS on purpose: Node reads a CommonJS entry
 * without libuv's thread pool, so the pool's size can still be chosen here, before main.js (an
 * ES module) is loaded through it, and V8's heap is tuned before main.js's imports grow it. See
 * threadpool.cts and heap.cts.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS module's import, on purpose (see above)
import threadpool = require('./threadpool.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- likewise
import heap = require('./heap.cjs');

threadpool.favourOneThread();
heap.favourSmallHeap();
void import('./main.js');
