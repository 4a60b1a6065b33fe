/**
 * Staging pages: their raw records appended and their checkpoint rows inserted in one transaction,
 * with the appender and prepared statement every page reuses (the per-page hot path).
 */
import {
  DuckDBTimestampValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import { crashPoint } from '../faults/crashPoint.js';
import type { Clock } from '../runtime/clock.js';
import { recordCount } from './recordCount.js';
import { recordKey } from './recordKey.js';
import { recordRefusal } from './recordRefusal.js';
import { secretsInRecord } from './recordSecrets.js';
import { serialise } from './serialise.js';
import { StagingError, describeError } from './stagingErrors.js';
import type { StagePageInput, StagePageResult, StagingTime } from './stagingTypes.js';

/** A TIMESTAMP value of epoch milliseconds. */
const timestamp = (ms: number): DuckDBTimestampValue => new DuckDBTimestampValue(BigInt(Math.trunc(ms)) * 1000n);

const toNum = (value: DuckDBValue): number => (typeof value === 'bigint' ? Number(value) : Number(value ?? 0));

/** Stages the pages of one run on one connection; `close` before that connection closes. */
export class PageStager {
  /**
   * One appender for the store's life: each appender holds native buffers that are freed only
   * when V8 collects its wrapper, which it has no reason to do soon (it cannot see them), so an
   * appender per page grew the process by ~140 KB a page.
   */
  #appender: DuckDBAppender | undefined;
  /** The same for the pages' checkpoint rows (a prepared INSERT cost ~1 ms a page). */
  #pagesAppender: DuckDBAppender | undefined;
  /** The statements every page runs, parsed and planned once (each took ~1 ms a page to prepare). */
  readonly #statements = new Map<string, DuckDBPreparedStatement>();
  readonly #runId: string;
  readonly #clock: Clock;
  /** Where the committed transactions' time went, on the run's clock (a simulated one reads 0). */
  #time: StagingTime = { transactions: 0, appendMs: 0, checkpointMs: 0, commitMs: 0 };
  /** A transaction is open on the connection (begun by the last commit, for the next batch, or by this batch). */
  #inTransaction = false;

  constructor(runId: string, clock: Clock) {
    this.#runId = runId;
    this.#clock = clock;
  }

  /** The time of every transaction committed so far: appending records, their pages' checkpoint rows, beginning and committing. */
  get time(): StagingTime {
    return this.#time;
  }

  /**
   * Stages pages in ONE transaction: their raw records and their checkpoint rows commit together
   * or not at all (a commit costs a few ms, so pages waiting together share one). A page already
   * committed is left as it is (a no-op), so a crash between commit and acknowledgement is
   * harmless. That is rare (a resumed run asks only for the pages it lacks), so it is found by the
   * pages' primary key refusing the batch, which is then staged again without them.
   */
  async stagePages(conn: DuckDBConnection, inputs: readonly Readonly<StagePageInput>[]): Promise<StagePageResult[]> {
    try {
      return await this.#stage(conn, inputs, new Map());
    } catch (error: unknown) {
      if (!/Duplicate key .* violates primary key constraint/.test(describeError(error))) throw error;
      return this.#stage(
        conn,
        inputs,
        await this.#committed(
          conn,
          inputs.map((input) => input.page),
        ),
      );
    }
  }

  /** One transaction staging the pages not in `committed` (page -> its records). */
  async #stage(
    conn: DuckDBConnection,
    inputs: readonly Readonly<StagePageInput>[],
    committed: ReadonlyMap<number, number>,
  ): Promise<StagePageResult[]> {
    const started = this.#clock.now();
    if (!this.#inTransaction) await conn.run('BEGIN TRANSACTION');
    this.#inTransaction = true;
    const begun = this.#clock.now();
    try {
      const fresh = inputs.filter((input) => !committed.has(input.page));
      await this.#appendRecords(conn, fresh);
      await this.#checkJson(conn, fresh);
      const appended = this.#clock.now();
      await this.#appendCheckpoints(conn, fresh);
      // Counted per page (`staging.midPage:3`: in the transaction that stages the third page).
      for (let k = 0; k < fresh.length; k++) crashPoint('staging.midPage');
      const checkpointed = this.#clock.now();
      // The next batch's transaction begins in the same round trip: in a busy event loop each round
      // trip waits for the loop (~20 ms a BEGIN in a 1M-record run), and the next batch is usually
      // waiting already. Should BEGIN alone fail, the batch is reported failed though committed:
      // staged again, its pages are found committed (a no-op), so none is lost or staged twice.
      this.#inTransaction = false;
      await conn.run('COMMIT; BEGIN TRANSACTION');
      this.#inTransaction = true;
      const t = this.#time;
      this.#time = {
        transactions: t.transactions + 1,
        appendMs: t.appendMs + (appended - begun),
        checkpointMs: t.checkpointMs + (checkpointed - appended),
        commitMs: t.commitMs + (begun - started) + (this.#clock.now() - checkpointed),
      };
      return inputs.map((input) => {
        const before = committed.get(input.page);
        return before === undefined
          ? { page: input.page, staged: true, records: recordCount(input) }
          : { page: input.page, staged: false, records: before };
      });
    } catch (error: unknown) {
      this.#inTransaction = false;
      await conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Ends the transaction a commit began for the next batch (nothing was written in it): the
   * store's other work must not run inside it.
   */
  async leaveTransaction(conn: DuckDBConnection): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await conn.run('ROLLBACK');
  }

  /** Which of `pages` were committed before, with their record counts. */
  async #committed(conn: DuckDBConnection, pages: readonly number[]): Promise<Map<number, number>> {
    const rows = (
      await conn.runAndReadAll(`SELECT page, records FROM pages WHERE run_id = $1 AND page IN (${pages.map(Number).join(', ')})`, [
        this.#runId,
      ])
    ).getRows();
    return new Map(rows.map(([page, records]) => [toNum(page ?? 0), toNum(records ?? 0)]));
  }

  /**
   * Caller-supplied text must be JSON DuckDB can read; text cut from a body known to be JSON as
   * JSON.parse reads it (`rawRecordsParsed`) is, once `limits` refused lone surrogate escapes
   * (the one thing JSON.parse takes and DuckDB does not), so it is not parsed a second time.
   */
  async #checkJson(conn: DuckDBConnection, inputs: readonly Readonly<StagePageInput>[]): Promise<void> {
    const unchecked = inputs.filter((input) => input.rawRecords !== undefined && !(input.rawRecordsParsed && input.limits));
    if (unchecked.length === 0) return;
    const invalid = (
      await conn.runAndReadAll(
        `SELECT page, seq FROM raw_records WHERE run_id = $1 AND page IN (${unchecked.map((input) => Number(input.page)).join(', ')})
         AND NOT json_valid(record) ORDER BY page, seq LIMIT 1`,
        [this.#runId],
      )
    ).getRows()[0];
    if (invalid !== undefined) throw new StagingError(`page ${String(invalid[0])} record ${String(invalid[1])} is not valid JSON text`);
  }

  /** Appends the pages' records, then the secrets found in them. */
  async #appendRecords(conn: DuckDBConnection, inputs: readonly Readonly<StagePageInput>[]): Promise<void> {
    if (inputs.length === 0) return;
    const appender = (this.#appender ??= await conn.createAppender('raw_records'));
    const withSecrets: [page: number, seq: number, fields: readonly string[], masked: boolean][] = [];
    this.#dropAppendersOnError(() => {
      for (const input of inputs) this.#appendPage(appender, input, withSecrets);
      appender.flushSync();
    });
    for (const [page, seq, fields, masked] of withSecrets) {
      await this.#run(conn, 'INSERT INTO record_secrets VALUES ($1, $2, $3, $4, $5)', [
        this.#runId,
        page,
        seq,
        JSON.stringify(fields),
        masked,
      ]);
    }
  }

  /** Appends the pages' checkpoint rows. */
  async #appendCheckpoints(conn: DuckDBConnection, inputs: readonly Readonly<StagePageInput>[]): Promise<void> {
    if (inputs.length === 0) return;
    const pages = (this.#pagesAppender ??= await conn.createAppender('pages'));
    this.#dropAppendersOnError(() => {
      const stagedAt = timestamp(this.#clock.now());
      for (const input of inputs) {
        pages.appendVarchar(this.#runId);
        pages.appendInteger(input.page);
        pages.appendInteger(recordCount(input));
        pages.appendTimestamp(timestamp(input.fetchedAt));
        if (input.nextCursor === undefined || input.nextCursor === null) pages.appendNull();
        else pages.appendVarchar(input.nextCursor);
        pages.appendTimestamp(stagedAt);
        pages.appendInteger(input.attempts);
        pages.appendDouble(input.latencyMs);
        if (input.longNumbers === undefined) pages.appendNull();
        else pages.appendBoolean(input.longNumbers);
        pages.endRow();
      }
      pages.flushSync();
    });
  }

  /** Appends one page's records; those holding a configured secret are added to `withSecrets`. */
  #appendPage(
    appender: DuckDBAppender,
    input: Readonly<StagePageInput>,
    withSecrets: [page: number, seq: number, fields: readonly string[], masked: boolean][],
  ): void {
    const fetchedAt = timestamp(input.fetchedAt);
    const count = recordCount(input);
    for (let seq = 0; seq < count; seq++) {
      const record = input.records?.[seq];
      // Serialised here, inside the transaction: a record that cannot be serialised fails the whole page.
      const received = input.rawRecords?.[seq] ?? serialise(record);
      if (typeof received !== 'string') throw new StagingError(`page ${input.page} record ${seq} is not JSON-serialisable`);
      // A configured secret the API echoes is noted and, by option, masked before anything is staged.
      const found = input.secrets === undefined || input.secretsFree === true ? undefined : secretsInRecord(received, input.secrets);
      if (found !== undefined) withSecrets.push([input.page, seq, found.fields, input.secrets?.mask === true]);
      const text = found?.text ?? received;
      // Checked on the text before DuckDB parses it: a refused record is kept as a JSON string of its
      // exact text, without a key, so it goes to the rejects with its reason.
      const refused =
        input.limits === undefined
          ? undefined
          : found === undefined && input.refusals !== undefined
            ? input.refusals[seq]
            : recordRefusal(text, input.limits);
      const key =
        refused !== undefined
          ? null
          : found?.text !== undefined
            ? recordKey(JSON.parse(text), input.keyField)
            : input.keys !== undefined
              ? (input.keys[seq] ?? null)
              : recordKey(record, input.keyField);
      appender.appendVarchar(this.#runId);
      appender.appendInteger(input.page);
      appender.appendInteger(seq);
      if (key === null) appender.appendNull();
      else appender.appendVarchar(key);
      appender.appendTimestamp(fetchedAt);
      appender.appendVarchar(refused === undefined ? text : JSON.stringify(text));
      if (refused === undefined) appender.appendNull();
      else appender.appendVarchar(refused);
      appender.endRow();
    }
  }

  /** Runs `append`; when it throws, discards the batch's rows and the appenders with them: DuckDB refuses further use of an appender after an error. */
  #dropAppendersOnError(append: () => void): void {
    try {
      append();
    } catch (error: unknown) {
      this.#dropAppenders();
      throw error;
    }
  }

  #dropAppenders(): void {
    for (const appender of [this.#appender, this.#pagesAppender]) {
      try {
        appender?.clear();
        appender?.closeSync();
      } catch {
        // Already invalidated by the error being reported; its rows go with the rolled-back transaction.
      }
    }
    this.#appender = undefined;
    this.#pagesAppender = undefined;
  }

  /** Runs `sql` with `values` through its cached prepared statement. */
  async #run(conn: DuckDBConnection, sql: string, values: DuckDBValue[]): Promise<DuckDBResultReader> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = await conn.prepare(sql);
      this.#statements.set(sql, statement);
    }
    statement.bind(values);
    return statement.runAndReadAll();
  }

  /** Closes the appender and the prepared statements (the connection they belong to is closing); they are made again on the next page. */
  close(): void {
    // Closing the connection rolls back the transaction it held.
    this.#inTransaction = false;
    this.#appender?.closeSync();
    this.#pagesAppender?.closeSync();
    this.#appender = undefined;
    this.#pagesAppender = undefined;
    for (const statement of this.#statements.values()) statement.destroySync();
    this.#statements.clear();
  }
}
