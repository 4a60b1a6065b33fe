/**
 * Staging one page: its raw records appended and its checkpoint row inserted in one transaction,
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
import { recordKey } from './recordKey.js';
import { recordRefusal } from './recordRefusal.js';
import { secretsInRecord } from './recordSecrets.js';
import { StagingError } from './stagingErrors.js';
import { timestampFromMs } from './stagingSchema.js';
import type { StagePageInput, StagePageResult } from './stagingTypes.js';

const toNum = (value: DuckDBValue): number => (typeof value === 'bigint' ? Number(value) : Number(value ?? 0));

/** JSON.stringify, or undefined for a value it cannot serialise (a cycle, a BigInt, nesting past the stack). */
function serialise(record: unknown): string | undefined {
  try {
    return JSON.stringify(record);
  } catch {
    return undefined;
  }
}

/** Stages the pages of one run on one connection; `close` before that connection closes. */
export class PageStager {
  /**
   * One appender for the store's life: each appender holds native buffers that are freed only
   * when V8 collects its wrapper, which it has no reason to do soon (it cannot see them), so an
   * appender per page grew the process by ~140 KB a page.
   */
  #appender: DuckDBAppender | undefined;
  /** The statements every page runs, parsed and planned once (each took ~1 ms a page to prepare). */
  readonly #statements = new Map<string, DuckDBPreparedStatement>();
  readonly #runId: string;
  readonly #clock: Clock;

  constructor(runId: string, clock: Clock) {
    this.#runId = runId;
    this.#clock = clock;
  }

  /**
   * Stages one page in ONE transaction: its raw records and its checkpoint row commit
   * together or not at all. A page already committed is left as it is (a no-op), so a
   * crash between commit and acknowledgement is harmless.
   */
  async stagePage(conn: DuckDBConnection, input: Readonly<StagePageInput>): Promise<StagePageResult> {
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
        conn,
        `INSERT INTO pages SELECT $1, $2, $3, ${timestampFromMs('$4')}, $5, ${timestampFromMs('$6')}, $7, $8
         WHERE NOT EXISTS (SELECT 1 FROM pages WHERE run_id = $1 AND page = $2)${validText} RETURNING page`,
        [
          this.#runId,
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
      return { page: input.page, staged: true, records: input.records.length };
    } catch (error: unknown) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Why a page was not recorded: committed before (its rows are rolled back, the page is left as it is), or invalid text. */
  async #refused(conn: DuckDBConnection, page: number): Promise<StagePageResult> {
    const existing = (
      await conn.runAndReadAll('SELECT records FROM pages WHERE run_id = $1 AND page = $2', [this.#runId, page])
    ).getRows()[0];
    if (existing !== undefined) {
      await conn.run('ROLLBACK');
      return { page, staged: false, records: toNum(existing[0] ?? 0) };
    }
    const invalid = await conn.runAndReadAll(
      'SELECT min(seq) FROM raw_records WHERE run_id = $1 AND page = $2 AND NOT json_valid(record)',
      [this.#runId, page],
    );
    throw new StagingError(`page ${page} record ${String(invalid.getRows()[0]?.[0])} is not valid JSON text`);
  }

  async #appendRecords(conn: DuckDBConnection, input: Readonly<StagePageInput>): Promise<void> {
    const appender = (this.#appender ??= await conn.createAppender('raw_records'));
    const fetchedAt = new DuckDBTimestampValue(BigInt(Math.trunc(input.fetchedAt)) * 1000n);
    const withSecrets: [seq: number, fields: readonly string[]][] = [];
    let ok = false;
    try {
      input.records.forEach((record, seq) => {
        // Serialised here, inside the transaction: a record that cannot be serialised fails the whole page.
        const received = input.rawRecords?.[seq] ?? serialise(record);
        if (typeof received !== 'string') throw new StagingError(`page ${input.page} record ${seq} is not JSON-serialisable`);
        // A configured secret the API echoes is noted and, by option, masked before anything is staged.
        const found = input.secrets === undefined ? undefined : secretsInRecord(received, input.secrets);
        if (found !== undefined) withSecrets.push([seq, found.fields]);
        const text = found?.text ?? received;
        // Checked on the text before DuckDB parses it: a refused record is kept as a JSON string of its
        // exact text, without a key, so it goes to the rejects with its reason.
        const refused = input.limits === undefined ? undefined : recordRefusal(text, input.limits);
        const key = refused === undefined ? recordKey(found?.text === undefined ? record : JSON.parse(text), input.keyField) : null;
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
      });
      appender.flushSync();
      ok = true;
    } finally {
      if (!ok) this.#dropAppender();
    }
    for (const [seq, fields] of withSecrets) {
      await this.#run(conn, 'INSERT INTO record_secrets VALUES ($1, $2, $3, $4, $5)', [
        this.#runId,
        input.page,
        seq,
        JSON.stringify(fields),
        input.secrets?.mask === true,
      ]);
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
    this.#appender?.closeSync();
    this.#appender = undefined;
    for (const statement of this.#statements.values()) statement.destroySync();
    this.#statements.clear();
  }
}
