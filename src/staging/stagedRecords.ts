/**
 * What staging lets others read of a run's staged records (the final file, the report): SQL
 * relations over them and the queries to read them, not the connection nor the table layout.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { isOutOfMemory, outgrewMemoryLimit, sizeBytes, streamingMemoryLimit, writeMemoryLimit, type MemoryLimit } from './duckdbMemory.js';
import { createFieldsView, type FieldSql, type RecordShape } from './recordFields.js';
import { sqlString } from './sqlText.js';
import type { StagingStore } from './StagingStore.js';
import { uniqueRecords, type VersionConflicts } from './uniqueRecords.js';

/** A run's staged records, for the length of one `readStaged` call. */
export interface StagedRecords {
  readonly runId: string;
  /**
   * SQL relation of every record staged for the run, duplicates and unkeyed included: run_id, page, seq,
   * key (NULL: unkeyed), fetched_at, record (JSON), refused (why the record was refused, its text
   * kept as a JSON string and its key NULL; NULL for a record staged as one).
   */
  readonly records: string;
  /**
   * SQL relation of the records that held a configured secret (see `recordSecrets`): page, seq,
   * fields (a JSON array of the paths that held one, never the value), masked (before staging).
   */
  readonly secrets: string;
  /**
   * SQL relation of the run's committed pages: page, records, fetched_at, next_cursor, staged_at,
   * attempts, latency_ms, long_numbers (a number of 16 characters or more in its records; NULL: not known).
   */
  readonly pages: string;
  /**
   * The unique records: `relation` has the columns of `records`, one row per key (its first
   * occurrence by page, seq, or its last: the store's `onConflict`); `duplicates` keyed records
   * were dropped as other copies, `conflicts` counts and names those that differ. Made once
   * until another page is staged (describing the records costs a JSON structure per record).
   */
  unique(): Promise<UniqueRecords>;
  /** Creates the temp view `view` of the unique records plus every named field extracted by one JSON parse; returns the fields' SQL. */
  fieldsView(view: string, names: readonly string[]): Promise<FieldSql>;
  /** The rows of `sql`, positional, as DuckDB gives them (BIGINT as bigint...). */
  query(sql: string): Promise<unknown[][]>;
  /**
   * `query` for a scan that folds every record into a few rows of small state (an aggregate of
   * few groups): it runs on the store's scan threads, not the one thread the rest holds to, and,
   * once the database outgrew the memory limit (duckdbMemory's outgrewMemoryLimit), under half of
   * it (streamingMemoryLimit).
   */
  scan(sql: string): Promise<unknown[][]>;
  /**
   * Runs `sql`, a COPY of records TO a file: until the database outgrew the memory limit, on the
   * scan threads as `scan` does (each thread then buffers a row group of the file); once it
   * outgrew the limit, under three quarters of it (duckdbMemory's writeMemoryLimit), on the scan
   * threads and, out of memory there, on the store's. Out of memory either way, it runs again on
   * the store's threads under the whole limit.
   */
  copy(sql: string): Promise<void>;
  /** Runs `sql` for its effect: temp views over the relations, settings. */
  run(sql: string): Promise<void>;
}

export interface UniqueRecords {
  readonly relation: string;
  readonly duplicates: number;
  readonly conflicts: VersionConflicts;
  /** The keys and structure of the unique records. */
  readonly shape: RecordShape;
}

/** Where staged records can be read: the staging store. */
export interface StagedRecordsSource {
  /** Runs `work` alone on the staged records (errors name `what`), with more memory if DuckDB runs out of it. */
  readStaged<T>(what: string, work: (records: StagedRecords) => Promise<T>): Promise<T>;
}

/** DuckDB's threads for most work; threads and memory for the scans that fold the records into a small state. */
export interface ScanSettings {
  readonly threads: number;
  readonly scanThreads: number;
  /** The store's; once the database outgrew it, `scan` runs under the streaming limit and `copy` under the write limit (duckdbMemory), unless the work was given more. */
  readonly memoryLimit: MemoryLimit;
  /**
   * How much of that survived running out of memory, for good: 'streaming', both; 'threads', the
   * scan threads under the whole limit; 'plain', neither (scans run as the rest does).
   */
  fits: 'streaming' | 'threads' | 'plain';
}

/** The StagedRecords of `store`'s run over `conn`. */
export function stagedRecords(store: StagingStore, conn: DuckDBConnection, scan: ScanSettings, log?: Logger): StagedRecords {
  const run = sqlString(store.runId);
  /** `lower(limit)` when the database outgrew the configured memory limit, set now (no work was given more). */
  const outgrown = (lower: (limit: string | undefined) => string | undefined): string | undefined => {
    const { memoryLimit } = scan;
    const limit = memoryLimit.current;
    return limit === memoryLimit.configured && outgrewMemoryLimit(store.path, sizeBytes(limit) ?? Infinity) ? lower(limit) : undefined;
  };
  /** Runs `work` with DuckDB on `n` threads, then on the store's again. */
  const onThreads = async <T>(n: number, work: () => Promise<T>): Promise<T> => {
    if (n === scan.threads) return work();
    await conn.run(`SET threads = ${n}`);
    try {
      return await work();
    } finally {
      await conn.run(`SET threads = ${scan.threads}`);
    }
  };
  /**
   * Runs `work` on the scan threads and, `streaming`, under the streaming limit when the database
   * outgrew the configured one, unless the work was given more (withMoreMemoryIfNeeded). Out of
   * memory, it runs again one step down: on the scan threads under the whole limit (a lower limit
   * was set), then on the store's threads; later scans start from where the last one fitted.
   */
  const onScanThreads = async <T>(work: () => Promise<T>, streaming = false): Promise<T> => {
    const { threads, scanThreads, memoryLimit } = scan;
    const limit = memoryLimit.current;
    for (;;) {
      const lower = streaming && scan.fits === 'streaming' ? outgrown(streamingMemoryLimit) : undefined;
      if (scan.fits === 'plain' || (scanThreads === threads && lower === undefined)) return work();
      const done = await onThreads(scanThreads, () => memoryLimit.tryUnder(lower, work));
      if (done) return done.value;
      // Each scan thread holds buffers of its own (a row group's strings, the JSON it parses):
      // where they and the scan do not fit in the limit, fewer threads or more memory must do.
      const next = lower === undefined ? 'plain' : 'threads';
      log?.debug(
        {
          scanThreads,
          threads,
          memoryLimit: lower ?? limit,
          retryWith: next === 'plain' ? { threads, memoryLimit: limit } : { scanThreads, memoryLimit: limit },
        },
        next === 'plain'
          ? 'a scan or a COPY ran out of DuckDB memory on the scan threads: they run on the store threads from now on'
          : 'a scan ran out of DuckDB memory under the streaming limit: scans run under the whole limit from now on',
      );
      scan.fits = next;
    }
  };
  const unique = async (): Promise<UniqueRecords> => {
    // Not under the streaming limit: finding the records' shapes keeps a record per shape.
    const { duplicates, conflicts, shape } = await uniqueRecords(store, conn, (work) => onScanThreads(work));
    return { relation: '_unique', duplicates, conflicts, shape };
  };
  return {
    runId: store.runId,
    records: `(SELECT run_id, page, seq, key, fetched_at, record, refused FROM raw_records WHERE run_id = ${run})`,
    secrets: `(SELECT page, seq, fields, masked FROM record_secrets WHERE run_id = ${run})`,
    pages: `(SELECT page, records, fetched_at, next_cursor, staged_at, attempts, latency_ms, long_numbers FROM pages WHERE run_id = ${run})`,
    unique,
    async fieldsView(view, names) {
      return createFieldsView(conn, view, (await unique()).relation, names);
    },
    async query(sql) {
      return (await conn.runAndReadAll(sql)).getRows();
    },
    scan(sql) {
      return onScanThreads(async () => (await conn.runAndReadAll(sql)).getRows(), true);
    },
    async copy(sql) {
      const { memoryLimit } = scan;
      const lower = outgrown(writeMemoryLimit);
      if (lower !== undefined) {
        const written = await memoryLimit.tryUnder(lower, async () => {
          // On the scan threads first, each buffering a row group of the file, where they fit. 1M
          // calm records (a 160 MB database, 64 MB limit) are at the edge: in 2 runs of 5 their
          // Parquet took 1.2 s instead of 2.4 on 2 cores, the run's peak RSS unchanged; in the
          // others, and at 3M, DuckDB refused within the first row groups, at no measurable cost.
          if (scan.fits !== 'plain' && scan.scanThreads > scan.threads) {
            try {
              return await onThreads(scan.scanThreads, () => conn.run(sql));
            } catch (error: unknown) {
              if (!isOutOfMemory(error)) throw error;
              log?.debug(
                { memoryLimit: lower, scanThreads: scan.scanThreads },
                "writing a file ran out of DuckDB memory on the scan threads: writing it again on the store's",
              );
            }
          }
          return conn.run(sql);
        });
        if (written) return;
        log?.debug(
          { memoryLimit: lower, retryWith: memoryLimit.current },
          'writing a file ran out of DuckDB memory: writing it again under the whole limit',
        );
      } else if (memoryLimit.current === memoryLimit.configured) {
        // A small database leaves room for a row group per thread: 270k flaky records (a 45 MB
        // database, 64 MB limit) wrote their Parquet in 340-380 ms instead of 640-770 on 2 cores.
        await onScanThreads(() => conn.run(sql));
        return;
      }
      await conn.run(sql);
    },
    async run(sql) {
      await conn.run(sql);
    },
  };
}
