/**
 * V8's heap as a run needs it. A run turns over page bodies of up to a few hundred KB (those over
 * 128 KB go straight to the old generation) and the records cut from them. By default V8 lets the
 * old generation grow to ~4× what is alive (~160 MB at peak) before collecting it, and the young
 * one to 16 MB a semi-space while the records of pages waiting to be staged outlive collections.
 * `--optimize-for-size` keeps the old generation near what is alive; a semi-space growth factor
 * of 1 keeps the young one at its first size (1 MB a semi-space). `--heap-growing-percent` in its
 * place made runs much faster but peaked higher (10,000,000 records: 235-247 MB against 232).
 *
 * CommonJS, like threadpool.cts, so that bin.cjs sets them before main.js and what it imports
 * load: set afterwards (as until 2026-12-07), the young generation had already grown to its
 * 32 MB by the time the run began (docs/testing.md). Called by the CLI only: a library must not
 * retune its host.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS module's import (see above)
import v8 = require('node:v8');

const flags = ['--optimize-for-size', '--semi-space-growth-factor=1'];

const heap = {
  /** Sets `flags` in this process's V8. */
  favourSmallHeap(): void {
    for (const flag of flags) v8.setFlagsFromString(flag);
  },
};

export = heap;
