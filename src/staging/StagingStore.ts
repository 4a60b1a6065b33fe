/**
 * The run's staging store: opening and closing its database under the run lock, and every
 * call serialised on its one connection. What it stages, records and exposes is in
 * pageStaging, runState and stagedRecords; how it bounds DuckDB's memory in duckdbMemory.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { IngestError } from '../errors.js';
import { crashPoint } from '../faults/crashPoint.js';
import type { Runtime } from '../runtime/runtime.js';
import { realClock, type Clock } from '../runtime/clock.js';
import {
  duckdbSettings,
  isOutOfMemory,
  memoryLimit,
  scanThreads,
  streamingMemoryLimit,
  walBytes,
  withMoreMemoryIfNeeded,
  worthReopening,
} from './duckdbMemory.js';
import { openDatabase, type OpenDatabase } from './openDatabase.js';
import { notePageShapes } from './pageShapes.js';
import { PageStager } from './pageStaging.js';
import { acquireRunLock, type RunLock } from './runLock.js';
import {
  committedPages,
  finishedUpdate,
  initialiseRun,
  lastCheckpoint,
  outputUpdate,
  readRunState,
  stagingCounts,
  updateRun,
  uploadUpdate,
  type RunUpdate,
} from './runState.js';
import { stagedRecords, type StagedRecords, type StagedRecordsSource, type ScanSettings } from './stagedRecords.js';
import { StagingError, describeError } from './stagingErrors.js';
import type {
  Checkpoint,
  OnConflict,
  OutputRecord,
  RunState,
  StagePageInput,
  StagePageResult,
  StagingCounts,
  StagingStoreOptions,
  StagingTime,
} from './stagingTypes.js';
import { validateOpenOptions, validateStagePages } from './validateStaging.js';

/** Pages whose shapes one turn of the idle connection notes, at most. */
const notedAtOnce = 32;
/** A log of this many bytes is folded into the database while the connection is idle. */
const idleCheckpointBytes = 1024 * 1024;

/**
 * The run's DuckDB staging database: raw records as received plus a checkpoint per page,
 * committed together. Every call is serialised on one connection and, when a runtime is
 * given, tracked by its clock so that simulated time waits for the I/O.
 */
export class StagingStore implements StagedRecordsSource {
  readonly path: string;
  readonly runId: string;
  /** Which version of a key the unique records keep. */
  readonly onConflict: OnConflict;
  #instance: DuckDBInstance | undefined;
  #connection: DuckDBConnection | undefined;
  readonly #pages: PageStager;
  readonly #lock: RunLock;
  readonly #clock: Clock;
  /** The DuckDB settings it was opened with, to open it again the same way (`releaseMemory`). */
  readonly #config: Readonly<Record<string, string>>;
  /** DuckDB threads of most work, and threads and memory of the scans that fold the records into a small state. */
  readonly #scan: ScanSettings;
  readonly #log: Logger | undefined;
  /** DuckDB's memory limit: the configured one, but while pages are staged, or a scan runs, the streaming one (duckdbMemory). */
  readonly #memoryLimit: ReturnType<typeof memoryLimit>;
  /** Pages are staged under the streaming memory limit until a batch ran out of memory there. */
  #stagingStreams = true;
  #pagesStaged = 0;
  #closed = false;
  #reopened = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Calls queued on the connection and not yet done: the pages' shapes are noted only when none is. */
  #queued = 0;
  /** Pages this store committed whose shapes are not noted (`#workWhenIdle`). */
  #unnoted: number[] = [];
  /** When this store began staging its first page, on its clock. */
  #stagingSince: number | undefined;
  /** Time the connection spent on `#workWhenIdle`. */
  #idleWorkMs = 0;

  private constructor(
    path: string,
    runId: string,
    { instance, connection }: OpenDatabase,
    lock: RunLock,
    clock: Clock,
    config: Readonly<Record<string, string>>,
    log: Logger | undefined,
    onConflict: OnConflict,
    scanThreads: number,
  ) {
    this.path = path;
    this.runId = runId;
    this.onConflict = onConflict;
    this.#instance = instance;
    this.#connection = connection;
    this.#pages = new PageStager(runId, clock);
    this.#lock = lock;
    this.#clock = clock;
    this.#config = config;
    this.#memoryLimit = memoryLimit(config['memory_limit'], (sql) => this.#conn().run(sql));
    this.#log = log;
    this.#scan = { threads: Number(config['threads']), scanThreads, memoryLimit: this.#memoryLimit, fits: 'streaming' };
  }

  /** Pages this store has committed (not those of an earlier process): what is derived from the records is stale once it grows. */
  get pagesStaged(): number {
    return this.#pagesStaged;
  }

  /** Where the time of the transactions this store committed went (appending, checkpoint rows, commits). */
  get stagingTime(): StagingTime {
    return this.#pages.time;
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
      const config = duckdbSettings(path, options);
      const database = await clock.track(openDatabase(path, options.runId, lock.path, config, log));
      const store = new StagingStore(
        path,
        options.runId,
        database,
        lock,
        clock,
        config,
        log,
        options.onConflict ?? 'first',
        scanThreads(options),
      );
      await store.#exclusive('initialise', () => initialiseRun(store.#conn(), store.runId, options.options ?? null, clock.now()));
      return store;
    } catch (error: unknown) {
      lock.release();
      throw error;
    }
  }

  /** Stages one page in one transaction (see `stagePages`). */
  async stagePage(input: Readonly<StagePageInput>): Promise<StagePageResult> {
    const [result] = await this.stagePages([input]);
    return result!;
  }

  /**
   * Stages pages in ONE transaction: their raw records and checkpoint rows commit together or
   * not at all. A page already committed is left as it is (a no-op), so a crash between commit
   * and acknowledgement is harmless.
   */
  async stagePages(inputs: readonly Readonly<StagePageInput>[]): Promise<StagePageResult[]> {
    validateStagePages(inputs);
    const what = `stage page ${inputs.map((input) => input.page).join(', ')}`;
    this.#stagingSince ??= this.#clock.now();
    const staged = await this.#serialised(what, async () => {
      const results = await this.#stageUnderStreamingLimit(what, inputs);
      for (const result of results) {
        if (!result.staged) continue;
        this.#pagesStaged++;
        this.#unnoted.push(result.page);
        // Counted per page (`staging.afterCommit:3`: after the commit that holds the third page).
        crashPoint('staging.afterCommit');
      }
      return results;
    });
    this.#workWhenIdle();
    return staged;
  }

  /**
   * Uses the connection while staging leaves it idle (nothing else waits for it, and staging kept
   * it busy less than half of the time so far, as while the pages' requests wait on a paced API)
   * for work the final file would otherwise wait for. It notes the shapes of the pages committed
   * since (`notePageShapes`: the final file reads only the other pages' records; `flaky`, 270,000
   * records: the shapes 290 → 20 ms), then folds a log of `idleCheckpointBytes` or more into the
   * database, as closing it before the final file would (that close 206 → 67 ms). Noting costs
   * more per record than the final scan: where staging is the bound (a fast API; `calm`'s
   * 1,000,000 records kept it busy two thirds of the time), noting whenever the connection was
   * free slowed the fetch phase by 2-5 s to spare the writing 0.9 s. Should it fail, the final
   * file does that work as if it had never run.
   */
  #workWhenIdle(): void {
    if (this.#queued > 0 || this.#closed) return;
    const t = this.#pages.time;
    const busy = t.appendMs + t.checkpointMs + t.commitMs + this.#idleWorkMs;
    if (2 * busy > this.#clock.now() - (this.#stagingSince ?? 0)) return;
    // A few pages at a time: pages left from a busier stretch wait for the next idle turns.
    const pages = this.#unnoted.splice(0, notedAtOnce);
    if (pages.length === 0 && walBytes(this.path) < idleCheckpointBytes) return;
    const fold = 'fold a log of 1 MiB or more into the database';
    const what = pages.length === 0 ? fold : `note the shapes of page ${pages.join(', ')}, then ${fold}`;
    this.#serialised(what, async () => {
      const started = this.#clock.now();
      try {
        // Outside the transaction a commit began for the next batch.
        await this.#pages.leaveTransaction(this.#conn());
        if (pages.length > 0) await notePageShapes(this.#conn(), this.runId, pages);
        if (walBytes(this.path) >= idleCheckpointBytes) await this.#conn().run('CHECKPOINT');
      } finally {
        this.#idleWorkMs += this.#clock.now() - started;
      }
    }).then(
      () => this.#workWhenIdle(),
      (error: unknown) => this.#log?.debug({ err: error }, `could not ${what}: left to the final file`),
    );
  }

  /**
   * Stages the batch under the streaming memory limit, kept between batches (setting it costs a
   * round trip through the busy event loop); out of memory there, the batch, rolled back, is
   * staged again under the configured limit, and with more if need be, and so are the batches
   * after it (the next would most likely run out too).
   */
  async #stageUnderStreamingLimit(what: string, inputs: readonly Readonly<StagePageInput>[]): Promise<StagePageResult[]> {
    const limit = this.#memoryLimit;
    const stage = (): Promise<StagePageResult[]> => this.#pages.stagePages(this.#conn(), inputs);
    const streaming = this.#stagingStreams ? streamingMemoryLimit(limit.configured) : undefined;
    if (streaming === undefined) return withMoreMemoryIfNeeded(what, limit, this.#log, stage);
    if (limit.current !== streaming) {
      // Outside the transaction a commit began: a SET that fails (DuckDB cannot free enough) would abort it.
      await this.#pages.leaveTransaction(this.#conn());
      await limit.set(streaming);
    }
    try {
      return await stage();
    } catch (error: unknown) {
      if (!isOutOfMemory(error)) throw error;
      this.#log?.debug(
        { memoryLimit: streaming, retryWith: limit.configured },
        `DuckDB ran out of memory to ${what}: staging it again, and the pages after it, under the whole limit`,
      );
      this.#stagingStreams = false;
      return withMoreMemoryIfNeeded(what, limit, this.#log, stage);
    }
  }

  /** Page numbers committed so far, ascending. */
  committedPages(): Promise<number[]> {
    return this.#exclusive('read committed pages', () => committedPages(this.#conn(), this.runId));
  }

  /** The highest committed page and its next cursor (cursor pagination resumes from it). */
  lastCheckpoint(): Promise<Checkpoint | undefined> {
    return this.#exclusive('read the last checkpoint', () => lastCheckpoint(this.#conn(), this.runId));
  }

  counts(): Promise<StagingCounts> {
    return this.#exclusive('count staged records', () => stagingCounts(this.#conn(), this.runId));
  }

  /** The run's progress record. */
  runState(): Promise<RunState> {
    return this.#exclusive('read the run state', () => readRunState(this.#conn(), this.runId, this.path));
  }

  /** Records that the final file is written (a crash after this resumes at the upload). */
  recordOutput(output: Readonly<OutputRecord>): Promise<void> {
    return this.#updateRun('record the output', outputUpdate(output));
  }

  /** Records that the object is in the store (a crash after this resumes at the report). */
  recordUpload(upload: Readonly<{ uri: string; etag?: string | null }>): Promise<void> {
    return this.#updateRun('record the upload', uploadUpdate(upload, this.#clock.now()));
  }

  /** Marks the run finished: a rerun with this id has nothing left to do. */
  markFinished(): Promise<void> {
    return this.#updateRun('finish the run', finishedUpdate(this.#clock.now()));
  }

  #updateRun(what: string, update: RunUpdate): Promise<void> {
    return this.#exclusive(what, () => updateRun(this.#conn(), this.runId, update, this.#clock.now()));
  }

  /**
   * Runs `work` alone on the run's staged records (for the output writer and report queries).
   * Errors are wrapped in a StagingError naming `what`; out of DuckDB memory, `work` runs
   * again with more (`withMoreMemoryIfNeeded`).
   */
  readStaged<T>(what: string, work: (records: StagedRecords) => Promise<T>): Promise<T> {
    return this.#exclusive(what, () =>
      withMoreMemoryIfNeeded(what, this.#memoryLimit, this.#log, () => work(stagedRecords(this, this.#conn(), this.#scan, this.#log))),
    );
  }

  /**
   * Checkpoints and closes the database and opens it again, keeping the run lock: it drops what
   * DuckDB kept from staging or writing (duckdbMemory says why). Nothing else may use the store
   * meanwhile: it waits for queued work and runs alone.
   */
  releaseMemory(): Promise<void> {
    return this.#exclusive('release memory by reopening the database', async () => {
      await this.#foldLog();
      this.#closeDatabase();
      const database = await openDatabase(this.path, this.runId, this.#lock.path, { ...this.#config }, this.#log);
      this.#instance = database.instance;
      this.#connection = database.connection;
      this.#memoryLimit.opened();
      this.#reopened++;
    });
  }

  /** `releaseMemory` when the database is large enough for it to be worth its cost (duckdbMemory's `worthReopening`). */
  async releaseMemoryIfLarge(): Promise<void> {
    if (worthReopening(this.path)) await this.releaseMemory();
  }

  /** Checkpoints and closes the database and releases the run lock. Idempotent. */
  async close(): Promise<void> {
    // A flag, not the instance: a failed reopen leaves no instance but still holds the run lock.
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    // Tracked: a simulated clock must wait for this I/O, not take the run for stalled.
    if (this.#connection !== undefined) await this.#clock.track(this.#pages.leaveTransaction(this.#connection).catch(() => undefined));
    await this.#clock.track(this.#foldLog());
    this.#closeDatabase();
    this.#lock.release();
  }

  /**
   * Folds the write-ahead log into the database before it closes. Closing does it too, but
   * synchronously, blocking the event loop, and slower: with the last pages of a `hostile` run in
   * the log, closing took 219-221 ms, against a CHECKPOINT of 23-26 ms and a close of 10-18 ms
   * after it. Should the CHECKPOINT fail, closing tries again, as before.
   */
  async #foldLog(): Promise<void> {
    await this.#connection
      ?.run('CHECKPOINT')
      .catch((error: unknown) => this.#log?.debug({ err: error }, 'could not fold the log before closing'));
  }

  #closeDatabase(): void {
    this.#pages.close();
    this.#connection?.closeSync();
    this.#instance?.closeSync();
    this.#connection = undefined;
    this.#instance = undefined;
  }

  #conn(): DuckDBConnection {
    if (this.#connection === undefined) throw new StagingError(`the staging store of run ${this.runId} is closed`);
    return this.#connection;
  }

  /**
   * `#serialised` outside staging's transactions (the one a commit began for the next batch ends
   * first) and under the configured memory limit.
   */
  #exclusive<T>(what: string, work: () => Promise<T>): Promise<T> {
    return this.#serialised(what, async () => {
      if (this.#connection !== undefined) {
        await this.#pages.leaveTransaction(this.#connection);
        await this.#memoryLimit.set(this.#memoryLimit.configured);
      }
      return work();
    });
  }

  /** Runs `work` after everything queued before it, alone on the connection; errors name `what`. */
  #serialised<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.#queued++;
    const run = this.#queue.then(async () => {
      try {
        return await work();
      } catch (error: unknown) {
        if (error instanceof IngestError) throw error;
        throw new StagingError(`staging: cannot ${what} (run ${this.runId}): ${describeError(error)}`, { cause: error });
      } finally {
        this.#queued--;
      }
    });
    this.#queue = run.catch(() => undefined);
    return this.#clock.track(run);
  }
}
