import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  DuckDBTimestampValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Logger } from 'pino';
import { IngestError } from '../errors.js';
import { crashPoint } from '../faults/crashPoint.js';
import type { Runtime } from '../runtime/runtime.js';
import { realClock, type Clock } from '../runtime/clock.js';
import { acquireRunLock, type RunLock } from './runLock.js';
import { recordKey } from './recordKey.js';
import { stagingSchemaSql, timestampFromMs } from './stagingSchema.js';
import { StagingError, describeError } from './stagingErrors.js';
import { openDatabase, type OpenDatabase } from './openDatabase.js';
import { validateOpenOptions, validateStagePage } from './validateStaging.js';
import type {
  Checkpoint,
  OutputRecord,
  RunState,
  StagePageInput,
  StagePageResult,
  StagingCounts,
  StagingStoreOptions,
  UploadRecord,
} from './stagingTypes.js';

const toMs = (value: DuckDBValue): number | null => (value instanceof DuckDBTimestampValue ? Number(value.micros / 1000n) : null);
const toNum = (value: DuckDBValue): number => (typeof value === 'bigint' ? Number(value) : Number(value ?? 0));
const toStr = (value: DuckDBValue): string | null => (value === null ? null : String(value));

/**
 * DuckDB settings that keep memory flat however many records a run holds (RELIABILITY.md
 * row 28): nothing read back in bulk relies on storage order (queries that need an order say
 * ORDER BY), so scans stream and spill instead of buffering to keep it; DuckDB returns freed
 * memory to the system after each query instead of caching up to 128 MB of it (the memory
 * limit bounds what queries hold, not that cache); and one thread by default, because every
 * thread adds its own buffers (a Parquet row group, JSON parse arenas) outside what spills:
 * with two, writing Parquet needed about 96 MB of memory limit instead of 64-80 MB.
 */
const scalableSettings: Readonly<Record<string, string>> = {
  preserve_insertion_order: 'false',
  allocator_flush_threshold: '16MB',
  allocator_bulk_deallocation_flush_threshold: '16MB',
  threads: '1',
};

/** How far `withConnection` raises DuckDB's memory limit for work that ran out of it. */
const maxMemoryFactor = 4;

/** Whether DuckDB's out-of-memory error is `error` or, wrapped, its cause. */
function isOutOfMemory(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e.message.includes('Out of Memory Error')) return true;
  return false;
}

/** `size` (e.g. "64MB") times `factor`, in its unit; undefined when it is not such a size. */
function scaledSize(size: string | undefined, factor: number): string | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(size?.trim() ?? '');
  return match === null ? undefined : `${Number(match[1]) * factor}${match[2]}`;
}

/**
 * The run's DuckDB staging database: raw records as received plus a checkpoint per page,
 * committed together. Every call is serialised on one connection and, when a runtime is
 * given, tracked by its clock so that simulated time waits for the I/O.
 */
export class StagingStore {
  readonly path: string;
  readonly runId: string;
  #instance: DuckDBInstance | undefined;
  #connection: DuckDBConnection | undefined;
  /**
   * One appender for the store's life: each appender holds native buffers that are freed only
   * when V8 collects its wrapper, which it has no reason to do soon (it cannot see them), so an
   * appender per page grew the process by ~140 KB a page.
   */
  #appender: DuckDBAppender | undefined;
  /** The statements every page runs, parsed and planned once (each took ~1 ms a page to prepare). */
  readonly #statements = new Map<string, DuckDBPreparedStatement>();
  readonly #lock: RunLock;
  readonly #clock: Clock;
  /** The DuckDB settings it was opened with, to open it again the same way (`releaseMemory`). */
  readonly #config: Readonly<Record<string, string>>;
  readonly #log: Logger | undefined;
  #pagesStaged = 0;
  #closed = false;
  #reopened = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    path: string,
    runId: string,
    { instance, connection }: OpenDatabase,
    lock: RunLock,
    clock: Clock,
    config: Readonly<Record<string, string>>,
    log: Logger | undefined,
  ) {
    this.path = path;
    this.runId = runId;
    this.#instance = instance;
    this.#connection = connection;
    this.#lock = lock;
    this.#clock = clock;
    this.#config = config;
    this.#log = log;
  }

  /** Pages this store has committed (not those of an earlier process): what is derived from the records is stale once it grows. */
  get pagesStaged(): number {
    return this.#pagesStaged;
  }

  /** Times the database was opened again by `releaseMemory`: temp tables and views made before are gone once it grows. */
  get reopened(): number {
    return this.#reopened;
  }

  /** Opens (or creates) the run's database; refuses a run that is already open elsewhere. */
  static async open(
    options: Readonly<StagingStoreOptions>,
    runtime?: Pick<Runtime, 'clock'> & Partial<Pick<Runtime, 'logger'>>,
  ): Promise<StagingStore> {
    validateOpenOptions(options);
    const clock = runtime?.clock ?? realClock;
    const path = resolve(options.path);
    mkdirSync(dirname(path), { recursive: true });
    if (options.tempDirectory !== undefined) mkdirSync(options.tempDirectory, { recursive: true });
    const lock = acquireRunLock(`${path}.lock`, options.runId, clock.now());
    const log = runtime?.logger?.child({ component: 'staging', runId: options.runId });
    if (lock.tookOverFrom !== undefined)
      log?.warn({ lock: lock.path, deadPid: lock.tookOverFrom }, 'took over the stale run lock of a process that is gone');
    try {
      const config: Record<string, string> = { ...scalableSettings };
      if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
      // Beside the file, as DuckDB would put it for a database opened directly (the instance itself is in memory).
      config['temp_directory'] = options.tempDirectory ?? `${path}.tmp`;
      if (options.threads !== undefined) config['threads'] = String(options.threads);
      const database = await clock.track(openDatabase(path, options.runId, lock.path, config));
      const store = new StagingStore(path, options.runId, database, lock, clock, config, log);
      await store.#exclusive('initialise', () => store.#initialise(options.optionsHash ?? null));
      return store;
    } catch (error: unknown) {
      lock.release();
      throw error;
    }
  }

  async #initialise(optionsHash: string | null): Promise<void> {
    const conn = this.#conn();
    await conn.run(stagingSchemaSql);
    const reader = await conn.runAndReadAll('SELECT options_hash FROM runs WHERE run_id = $1', [this.runId]);
    const rows = reader.getRows();
    const now = this.#clock.now();
    if (rows.length === 0) {
      await conn.run(
        `INSERT INTO runs (run_id, status, options_hash, created_at, updated_at) VALUES ($1, 'running', $2, ${timestampFromMs('$3')}, ${timestampFromMs('$3')})`,
        [this.runId, optionsHash, now],
      );
      return;
    }
    const stored = toStr(rows[0]?.[0] ?? null);
    if (optionsHash !== null && stored !== null && stored !== optionsHash) {
      throw new StagingError(
        `run ${this.runId} was started with different options (hash ${stored}, now ${optionsHash}): resume it with the same options, or use a new run id`,
      );
    }
    if (stored === null && optionsHash !== null) {
      await conn.run(`UPDATE runs SET options_hash = $2, updated_at = ${timestampFromMs('$3')} WHERE run_id = $1`, [
        this.runId,
        optionsHash,
        now,
      ]);
    }
  }

  /**
   * Stages one page in ONE transaction: its raw records and its checkpoint row commit
   * together or not at all. A page already committed is left as it is (a no-op), so a
   * crash between commit and acknowledgement is harmless.
   */
  async stagePage(input: Readonly<StagePageInput>): Promise<StagePageResult> {
    validateStagePage(input);
    return this.#exclusive(`stage page ${input.page}`, async () => {
      const conn = this.#conn();
      await conn.run('BEGIN TRANSACTION');
      try {
        await this.#appendRecords(conn, input);
        // One statement records the page unless it was committed before or its text is not JSON
        // (caller-supplied text is checked; JSON.stringify's is valid by construction): a page costs
        // one statement besides its rows, the rare refusal is told apart below.
        const validText =
          input.rawRecords === undefined
            ? ''
            : ' AND NOT EXISTS (SELECT 1 FROM raw_records WHERE run_id = $1 AND page = $2 AND NOT json_valid(record))';
        const inserted = await this.#run(
          `INSERT INTO pages SELECT $1, $2, $3, ${timestampFromMs('$4')}, $5, ${timestampFromMs('$6')}, $7, $8
           WHERE NOT EXISTS (SELECT 1 FROM pages WHERE run_id = $1 AND page = $2)${validText} RETURNING page`,
          [
            this.runId,
            input.page,
            input.records.length,
            input.fetchedAt,
            input.nextCursor ?? null,
            this.#clock.now(),
            input.attempts,
            input.latencyMs,
          ],
        );
        if (inserted.currentRowCount === 0) return await this.#refused(conn, input.page);
        crashPoint('staging.midPage');
        await conn.run('COMMIT');
        this.#pagesStaged++;
        crashPoint('staging.afterCommit');
        return { page: input.page, staged: true, records: input.records.length };
      } catch (error: unknown) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Why a page was not recorded: committed before (its rows are rolled back, the page is left as it is), or invalid text. */
  async #refused(conn: DuckDBConnection, page: number): Promise<StagePageResult> {
    const existing = (
      await conn.runAndReadAll('SELECT records FROM pages WHERE run_id = $1 AND page = $2', [this.runId, page])
    ).getRows()[0];
    if (existing !== undefined) {
      await conn.run('ROLLBACK');
      return { page, staged: false, records: toNum(existing[0] ?? 0) };
    }
    const invalid = await conn.runAndReadAll(
      'SELECT min(seq) FROM raw_records WHERE run_id = $1 AND page = $2 AND NOT json_valid(record)',
      [this.runId, page],
    );
    throw new StagingError(`page ${page} record ${String(invalid.getRows()[0]?.[0])} is not valid JSON text`);
  }

  async #appendRecords(conn: DuckDBConnection, input: Readonly<StagePageInput>): Promise<void> {
    const appender = (this.#appender ??= await conn.createAppender('raw_records'));
    const fetchedAt = new DuckDBTimestampValue(BigInt(Math.trunc(input.fetchedAt)) * 1000n);
    let ok = false;
    try {
      input.records.forEach((record, seq) => {
        // Serialised here, inside the transaction: a record that cannot be serialised fails the whole page.
        const text = input.rawRecords?.[seq] ?? JSON.stringify(record);
        if (typeof text !== 'string') throw new StagingError(`page ${input.page} record ${seq} is not JSON-serialisable`);
        const key = recordKey(record, input.keyField);
        appender.appendVarchar(this.runId);
        appender.appendInteger(input.page);
        appender.appendInteger(seq);
        if (key === null) appender.appendNull();
        else appender.appendVarchar(key);
        appender.appendTimestamp(fetchedAt);
        appender.appendVarchar(text);
        appender.endRow();
      });
      appender.flushSync();
      ok = true;
    } finally {
      if (!ok) this.#dropAppender();
    }
  }

  /** Discards a failed page's rows and the appender with them: DuckDB refuses further use of an appender after an error. */
  #dropAppender(): void {
    const appender = this.#appender;
    this.#appender = undefined;
    try {
      appender?.clear();
      appender?.closeSync();
    } catch {
      // Already invalidated by the error being reported; its rows go with the rolled-back transaction.
    }
  }

  /** Page numbers committed so far, ascending. */
  committedPages(): Promise<number[]> {
    return this.#exclusive('read committed pages', async () => {
      const reader = await this.#conn().runAndReadAll('SELECT page FROM pages WHERE run_id = $1 ORDER BY page', [this.runId]);
      return reader.getRows().map((row) => toNum(row[0] ?? 0));
    });
  }

  /** The highest committed page and its next cursor (cursor pagination resumes from it). */
  lastCheckpoint(): Promise<Checkpoint | undefined> {
    return this.#exclusive('read the last checkpoint', async () => {
      const reader = await this.#conn().runAndReadAll('SELECT page, next_cursor FROM pages WHERE run_id = $1 ORDER BY page DESC LIMIT 1', [
        this.runId,
      ]);
      const row = reader.getRows()[0];
      return row === undefined ? undefined : { page: toNum(row[0] ?? 0), nextCursor: toStr(row[1] ?? null) };
    });
  }

  counts(): Promise<StagingCounts> {
    return this.#exclusive('count staged records', async () => {
      // A GROUP BY (which spills) rather than count(DISTINCT key), so that 10M keys fit the memory limit.
      const reader = await this.#conn().runAndReadAll(
        `SELECT (SELECT count(*) FROM pages WHERE run_id = $1), coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE key IS NOT NULL), 0),
                count(key)
         FROM (SELECT key, count(*) AS n FROM raw_records WHERE run_id = $1 GROUP BY key)`,
        [this.runId],
      );
      const row = reader.getRows()[0] ?? [];
      const [pages, records, keyed, uniqueKeys] = [0, 1, 2, 3].map((i) => toNum(row[i] ?? 0)) as [number, number, number, number];
      return { pages, records, keyed, uniqueKeys, duplicates: keyed - uniqueKeys, unkeyed: records - keyed };
    });
  }

  /** The run's progress record. */
  runState(): Promise<RunState> {
    return this.#exclusive('read the run state', async () => {
      const reader = await this.#conn().runAndReadAll('SELECT * FROM runs WHERE run_id = $1', [this.runId]);
      const row = reader.getRowObjects()[0];
      if (row === undefined) throw new StagingError(`run ${this.runId} has no row in ${this.path}`);
      const output: OutputRecord | null =
        row['output_path'] === null || row['output_path'] === undefined
          ? null
          : {
              path: String(row['output_path']),
              format: String(row['output_format']),
              rows: toNum(row['output_rows'] ?? 0),
              bytes: toNum(row['output_bytes'] ?? 0),
              sha256: String(row['output_sha256']),
              crc32c: String(row['output_crc32c']),
            };
      const upload: UploadRecord | null =
        row['object_uri'] === null || row['object_uri'] === undefined
          ? null
          : { uri: String(row['object_uri']), etag: toStr(row['object_etag'] ?? null), uploadedAt: toMs(row['uploaded_at'] ?? null) ?? 0 };
      return {
        runId: this.runId,
        status: row['status'] === 'finished' ? 'finished' : 'running',
        optionsHash: toStr(row['options_hash'] ?? null),
        createdAt: toMs(row['created_at'] ?? null) ?? 0,
        finishedAt: toMs(row['finished_at'] ?? null),
        output,
        upload,
      };
    });
  }

  /** Records that the final file is written (a crash after this resumes at the upload). */
  recordOutput(output: Readonly<OutputRecord>): Promise<void> {
    return this.#updateRun(
      'record the output',
      'output_path = $2, output_format = $3, output_rows = $4, output_bytes = $5, output_sha256 = $6, output_crc32c = $7',
      [output.path, output.format, output.rows, output.bytes, output.sha256, output.crc32c],
    );
  }

  /** Records that the object is in the store (a crash after this resumes at the report). */
  recordUpload(upload: Readonly<{ uri: string; etag?: string | null }>): Promise<void> {
    return this.#updateRun('record the upload', `object_uri = $2, object_etag = $3, uploaded_at = ${timestampFromMs('$4')}`, [
      upload.uri,
      upload.etag ?? null,
      this.#clock.now(),
    ]);
  }

  /** Marks the run finished: a rerun with this id has nothing left to do. */
  markFinished(): Promise<void> {
    return this.#updateRun('finish the run', `status = 'finished', finished_at = ${timestampFromMs('$2')}`, [this.#clock.now()]);
  }

  #updateRun(what: string, assignments: string, values: DuckDBValue[]): Promise<void> {
    return this.#exclusive(what, async () => {
      const now = this.#clock.now();
      const at = values.length + 2;
      await this.#conn().run(`UPDATE runs SET ${assignments}, updated_at = ${timestampFromMs(`$${at}`)} WHERE run_id = $1`, [
        this.runId,
        ...values,
        now,
      ]);
    });
  }

  /**
   * Runs `work` alone on the store's connection (for the output writer and report queries).
   * Errors are wrapped in a StagingError naming `what`. What DuckDB holds for a batch of 2,048
   * rows grows with the records' width, within no limit: the report over records with 10 KB
   * fields needed ~70 MB. Out of memory, `work` runs again with the limit doubled, up to four
   * times the configured one, which is set back afterwards: a rerun would fail the same way.
   */
  withConnection<T>(what: string, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#exclusive(what, async () => {
      const configured = this.#config['memory_limit'];
      let factor = 1;
      try {
        for (;;) {
          try {
            return await work(this.#conn());
          } catch (error: unknown) {
            const limit = scaledSize(configured, factor * 2);
            if (limit === undefined || factor === maxMemoryFactor || !isOutOfMemory(error)) throw error;
            factor *= 2;
            this.#log?.warn(
              { memoryLimit: configured, retryWith: limit },
              `DuckDB ran out of memory to ${what}; trying again with a memory limit of ${limit} (a larger --duckdb-memory-limit avoids the retry)`,
            );
            await this.#conn().run(`SET memory_limit = '${limit}'`);
          }
        }
      } finally {
        if (factor > 1 && configured !== undefined) await this.#conn().run(`SET memory_limit = '${configured}'`);
      }
    });
  }

  /**
   * Checkpoints and closes the database and opens it again, keeping the run lock: what DuckDB
   * built while staging (metadata of every row group appended, cached blocks, its allocator's
   * free lists) grows with the records staged and outlives every query; reopening drops it, so
   * the phases after staging start from the memory of a fresh process (RELIABILITY.md row 28).
   * Nothing else may use the store meanwhile: it waits for queued work and runs alone.
   */
  releaseMemory(): Promise<void> {
    return this.#exclusive('release memory by reopening the database', async () => {
      this.#closeDatabase();
      const database = await openDatabase(this.path, this.runId, this.#lock.path, { ...this.#config });
      this.#instance = database.instance;
      this.#connection = database.connection;
      this.#reopened++;
    });
  }

  /** Checkpoints and closes the database and releases the run lock. Idempotent. */
  async close(): Promise<void> {
    // A flag, not the instance: a failed reopen leaves no instance but still holds the run lock.
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    this.#closeDatabase();
    this.#lock.release();
  }

  #closeDatabase(): void {
    this.#appender?.closeSync();
    this.#appender = undefined;
    for (const statement of this.#statements.values()) statement.destroySync();
    this.#statements.clear();
    this.#connection?.closeSync();
    this.#instance?.closeSync();
    this.#connection = undefined;
    this.#instance = undefined;
  }

  /** Runs `sql` with `values` through its cached prepared statement. */
  async #run(sql: string, values: DuckDBValue[]): Promise<DuckDBResultReader> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = await this.#conn().prepare(sql);
      this.#statements.set(sql, statement);
    }
    statement.bind(values);
    return statement.runAndReadAll();
  }

  #conn(): DuckDBConnection {
    if (this.#connection === undefined) throw new StagingError(`the staging store of run ${this.runId} is closed`);
    return this.#connection;
  }

  #exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      try {
        return await work();
      } catch (error: unknown) {
        if (error instanceof IngestError) throw error;
        throw new StagingError(`staging: cannot ${what} (run ${this.runId}): ${describeError(error)}`, { cause: error });
      }
    });
    this.#queue = run.catch(() => undefined);
    return this.#clock.track(run);
  }
}
