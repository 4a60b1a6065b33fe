/**
 * How the staging database keeps DuckDB's memory bounded, and why each measure exists
 * (docs/reliability.md row 28): the settings it is opened with, the row group size of its file,
 * more memory for work that ran out of it, and reopening it to drop what staging left behind.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { StagingError, describeError } from './stagingErrors.js';
import type { StagingStoreOptions } from './stagingTypes.js';

/**
 * DuckDB settings that keep memory flat however many records a run holds: nothing read back in
 * bulk relies on storage order (queries that need an order say ORDER BY), so scans stream and
 * spill instead of buffering to keep it; DuckDB returns freed memory to the system after each
 * query instead of caching up to 128 MB of it (the memory limit bounds what queries hold, not
 * that cache), from a background thread too (what a scan thread freed otherwise waits until that
 * thread allocates again: the Parquet write of 1M records peaked 238 → 220 MB with it); and one
 * thread by default, because every thread adds its own buffers (a Parquet row group, JSON parse
 * arenas) outside what spills: with two, writing Parquet needed about 96 MB of memory limit
 * instead of 64-80 MB.
 */
const scalableSettings: Readonly<Record<string, string>> = {
  preserve_insertion_order: 'false',
  allocator_flush_threshold: '16MB',
  allocator_bulk_deallocation_flush_threshold: '16MB',
  allocator_background_threads: 'true',
  threads: '1',
};

/** The DuckDB settings of the staging database at `path`: the scalable ones, with the options' limit, spill directory and threads. */
export function duckdbSettings(path: string, options: Readonly<StagingStoreOptions>): Record<string, string> {
  const config: Record<string, string> = { ...scalableSettings };
  if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
  // Beside the file, as DuckDB would put it for a database opened directly (the instance itself is in memory).
  config['temp_directory'] = options.tempDirectory ?? `${path}.tmp`;
  if (options.threads !== undefined) config['threads'] = String(options.threads);
  return config;
}

/**
 * DuckDB threads for the scans that fold every record into a few rows of state (the records'
 * shapes, the number probes, the dataset schema's misfits): unlike a COPY's row groups, a thread
 * holds little there (its rows of state and the record it parses), so these use the cores, at
 * most 4. Measured on a calm run of 1M records, 2 cores: writing 11.9 → 9.5 s, reporting 6.9 →
 * 3.6 s (with the number probe asked once), the run's peak RSS 279 → 283 MB. A COPY uses them
 * too until the database outgrew the memory limit (outgrewMemoryLimit). Where a scan or a COPY
 * does not fit in the limit there, it runs again as the rest does (stagedRecords).
 */
export function scanThreads(options: Readonly<StagingStoreOptions>): number {
  return Math.max(options.threads ?? 1, options.scanThreads ?? Math.min(availableParallelism(), 4));
}

/**
 * Rows per row group of the staging file (DuckDB's default is 122,880). A checkpoint compresses
 * whole row groups outside the memory limit's accounting; with ~330-byte records the default
 * made checkpoints peak at ~250 MB over the limit, 16,384 keeps them near 100 MB and appends
 * twice as fast. Measured with 1M-3M staged records: flat from 500 pages on.
 */
export const stagingRowGroupSize = 16_384;

/**
 * DuckDB's memory limit for work that streams the records through into little: staging pages,
 * and the scans that fold every record into a few counts (`StagedRecords.scan`; not the records'
 * shapes, which keep a record per shape). Half the configured one: such work reads or writes
 * each block once, yet the buffer pool keeps every block until it reaches its limit, where they
 * only hold memory. Measured with the default 64 MB: staging 1.8M records peaked 276 → 243 MB at
 * the same speed, and the report's column checks over 1M records held 72 → 39 MB, in 1.9 →
 * 1.5 s. Work that runs out of memory under it runs again under the configured limit. Scans keep
 * the configured limit until the database outgrew it (outgrewMemoryLimit), where half measured
 * slower without saving much: the 100,000-record demo (a 17.5 MB database) spent 1.1 → 1.6 s
 * uploading and reporting.
 */
export function streamingMemoryLimit(configured: string | undefined): string | undefined {
  return scaledSize(configured, 0.5);
}

/**
 * DuckDB's memory limit for writing the final file, once the database outgrew the configured one:
 * three quarters of it. The COPY reads each staged block once, but the buffer pool keeps them
 * until it is full; unlike a scan, it also holds a row group of the file being written (about
 * 8 MB of Parquet, renderColumns), which half the limit made spill. Measured with 64 MB
 * configured: 3M staged records to Parquet peaked 235-269 → 210-220 MB at 48 MB (5.3-5.6 →
 * 5.5-6.0 s; 10 s at 32 MB); 2M to NDJSON 269 → 202 MB in the same time.
 */
export function writeMemoryLimit(configured: string | undefined): string | undefined {
  return scaledSize(configured, 0.75);
}

/** DuckDB's memory limit on the store's connection: the configured one and the one set now. */
export interface MemoryLimit {
  /** `--duckdb-memory-limit`; undefined leaves DuckDB's own default, never changed. */
  readonly configured: string | undefined;
  readonly current: string | undefined;
  /** Sets the limit to `limit` unless it is so already (or undefined), or DuckDB holds more than `limit` now and cannot free it. */
  set(limit: string | undefined): Promise<void>;
  /**
   * Runs `work` under `lower` (undefined: the current limit) and sets the current one back. Out
   * of memory, it resolves to undefined, and the caller runs `work` again as it can afford (the
   * whole limit, fewer threads); other errors are thrown.
   */
  tryUnder<T>(lower: string | undefined, work: () => Promise<T>): Promise<{ readonly value: T } | undefined>;
}

/** The MemoryLimit of a connection opened with `configured`, set by running SQL with `run`; `opened` when a new one was opened. */
export function memoryLimit(configured: string | undefined, run: (sql: string) => Promise<unknown>): MemoryLimit & { opened(): void } {
  let current = configured;
  /** False after a SET failed. */
  let known = true;
  const set = async (limit: string | undefined): Promise<void> => {
    if (limit === undefined || (known && limit === current)) return;
    try {
      await run(`SET memory_limit = '${limit}'`);
      current = limit;
      known = true;
    } catch (error: unknown) {
      // "could not free up enough memory for the new limit": a lower limit only saves memory.
      // DuckDB may have taken it all the same: taken as set, and the next one is sent whatever it is.
      if (!isOutOfMemory(error)) throw error;
      current = limit;
      known = false;
    }
  };
  return {
    configured,
    get current() {
      return current;
    },
    set,
    async tryUnder(lower, work) {
      const restore = current;
      await set(lower);
      try {
        return { value: await work() };
      } catch (error: unknown) {
        if (!isOutOfMemory(error)) throw error;
        return undefined;
      } finally {
        await set(restore);
      }
    },
    opened() {
      current = configured;
      known = true;
    },
  };
}

/** How far `withMoreMemoryIfNeeded` raises DuckDB's memory limit for work that ran out of it. */
const maxMemoryFactor = 4;

/**
 * Whether DuckDB's out-of-memory error is `error` or, wrapped, its cause. An append or a commit
 * that runs out reports it as its own failure ("could not allocate block", "failed to pin block").
 */
export function isOutOfMemory(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause)
    if (/Out of Memory Error|could not allocate block|failed to pin block/.test(e.message)) return true;
  return false;
}

/** `size` (e.g. "64MB") times `factor`, in its unit; undefined when it is not such a size. */
function scaledSize(size: string | undefined, factor: number): string | undefined {
  const parsed = parseSize(size);
  return parsed === undefined ? undefined : `${parsed.amount * factor}${parsed.unit}`;
}

/** The amount and unit of a size such as "64MB"; undefined when it is not one. */
function parseSize(size: string | undefined): { amount: number; unit: string } | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(size?.trim() ?? '');
  return match === null ? undefined : { amount: Number(match[1]), unit: match[2]! };
}

/**
 * Runs `work` (named `what` in the warning) under the configured limit; what DuckDB holds for a
 * batch of 2,048 rows grows with the records' width, within no limit: the report over records
 * with 10 KB fields needed ~70 MB. Out of memory, `work` runs again with the limit doubled, up to
 * four times the configured one, which is set back afterwards: a rerun would fail the same way.
 * Out of memory there too, the error names the option that gives DuckDB more.
 */
export async function withMoreMemoryIfNeeded<T>(
  what: string,
  limit: MemoryLimit,
  log: Logger | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const { configured } = limit;
  await limit.set(configured);
  let factor = 1;
  try {
    for (;;) {
      try {
        return await work();
      } catch (error: unknown) {
        if (!isOutOfMemory(error)) throw error;
        const more = scaledSize(configured, factor * 2);
        if (more === undefined || factor === maxMemoryFactor)
          throw new StagingError(
            `DuckDB ran out of memory to ${what} under a memory limit of ${limit.current ?? "DuckDB's default"}: raise --duckdb-memory-limit (${describeError(error)})`,
            { cause: error },
          );
        factor *= 2;
        log?.warn(
          { memoryLimit: configured, retryWith: more },
          `DuckDB ran out of memory to ${what}; trying again with a memory limit of ${more} (a larger --duckdb-memory-limit avoids the retry)`,
        );
        await limit.set(more);
      }
    }
  } finally {
    if (factor > 1) await limit.set(configured);
  }
}

/**
 * Why the database is reopened (`StagingStore.releaseMemory`): what DuckDB built while staging
 * (metadata of every row group appended, cached blocks, its allocator's free lists) grows with
 * the records staged and outlives every query; reopening drops it, so the phases after staging
 * start from the memory of a fresh process. It costs ~40 ms of CPU, a fifth of a small run:
 * worth it from this much staged data on (~10,000 simulator records, with the records' text in
 * zstd; at 100,000 it dropped ~70 MB).
 */
const releaseMemoryFromBytes = 2 * 1024 * 1024;

/** Whether the database at `path` holds `releaseMemoryFromBytes` or more: reopening it is worth its cost. */
export function worthReopening(path: string): boolean {
  return databaseBytes(path) >= releaseMemoryFromBytes;
}

/**
 * Whether the database at `path` outgrew a memory limit of `limitBytes` for work that reads every
 * staged record: once its file is larger than half the limit. What such work holds grows with the
 * records, not with the file, and the file holds their text in zstd, about half the bytes of the
 * FSST the rule was first measured with. Measured with 64 MB: 700,000 calm records (a 61 MiB
 * file) written and checked under the whole limit peaked 214-235 MB; under the lower limits
 * (stagedRecords) 213-218 MB, as fast.
 */
export function outgrewMemoryLimit(path: string, limitBytes: number): boolean {
  return databaseBytes(path) > limitBytes / 2;
}

/** The bytes of the write-ahead log of the database at `path`. */
export function walBytes(path: string): number {
  return statSync(`${path}.wal`, { throwIfNoEntry: false })?.size ?? 0;
}

/** The bytes of the database at `path`: its file and its WAL. */
export function databaseBytes(path: string): number {
  return (statSync(path, { throwIfNoEntry: false })?.size ?? 0) + walBytes(path);
}

const sizeUnits: Readonly<Record<string, number>> = { kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** The bytes of `size` (e.g. "64MB", as DuckDB reads it); undefined when it is not such a size. */
export function sizeBytes(size: string | undefined): number | undefined {
  const parsed = parseSize(size);
  const unit = parsed === undefined ? undefined : sizeUnits[parsed.unit.toLowerCase()];
  return unit === undefined ? undefined : parsed!.amount * unit;
}
