/** The run's unique records (dedupe by key, one version kept per key): staging's, as it owns the tables and their keys. */
import { DuckDBListValue, type DuckDBConnection } from '@duckdb/node-api';
import { describeUniqueRecords } from './pageShapes.js';
import { recordOrderSql, recordTopSql, type RecordShape } from './recordFields.js';
import { sqlString } from './sqlText.js';
import type { StagingStore } from './StagingStore.js';
import type { OnConflict } from './stagingTypes.js';

/** A key seen again with other content, as the report names it. */
export interface ConflictingKey {
  readonly key: string;
  /** The pages its records came from, ascending (the first `examplePages`). */
  readonly pages: readonly number[];
  /** The page of the version kept. */
  readonly keptPage: number;
}

/** Keys seen more than once with different content: versions, not copies. */
export interface VersionConflicts {
  /** Which version of a key is kept: the first or the last by (page, seq). */
  readonly kept: OnConflict;
  /** Dropped records whose content differs from the kept version's: a subset of the duplicates. */
  readonly versions: number;
  /** Keys with more than one content. */
  readonly keys: number;
  /** The first `conflictExamples` of those keys by first occurrence (page, then position). */
  readonly examples: readonly ConflictingKey[];
}

export interface UniqueRecords {
  /** Keyed records dropped as other copies of a key: exact copies and conflicting versions. */
  readonly duplicates: number;
  readonly conflicts: VersionConflicts;
  /** The keys and structure of the unique records. */
  readonly shape: RecordShape;
}

/** Conflicting keys named in the report, and pages named per key: enough to look them up, bounded whatever the run. */
export const conflictExamples = 10;
const examplePages = 10;

const prepared = new WeakMap<StagingStore, { readonly pagesStaged: number; readonly reopened: number; readonly unique: UniqueRecords }>();

/**
 * The staged records of keys staged more than once, numbered per key in kept-first order (`n`)
 * and marked when their content differs from the kept one's (`differs`), with their top level and
 * place (`recordTopSql`, `o`): the shapes of the copies dropped, without reading them again (96k
 * hostile records: 80 ms). A table of the database, not a temp one: it outlives the reopening
 * between the final file and the report (`StagingStore.releaseMemory`), where making it again
 * cost a window over every repeated key (0.3-0.4 s for 96k hostile records). It is made again
 * whenever another page was staged, and by any new process before its first use, so a stale one
 * from a crash is never read.
 */
const versionsTable = 'duplicate_versions';

/**
 * The temp view `_unique` on the store's connection (see `prepareUniqueRecords`) and what its
 * records look like, made once and kept until another page is staged: the final file and the
 * report each need them, and describing the records costs two JSON parses per record (~1.2 s
 * for 1M records).
 */
export async function uniqueRecords(
  store: StagingStore,
  conn: DuckDBConnection,
  onScanThreads: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<UniqueRecords> {
  const cached = prepared.get(store);
  if (cached !== undefined && cached.pagesStaged === store.pagesStaged) {
    // A reopened database lost the view (a temp one), not the versions nor what the records look like.
    if (cached.reopened !== store.reopened) {
      await createUniqueView(conn, store.runId);
      prepared.set(store, { ...cached, reopened: store.reopened });
    }
    return cached.unique;
  }
  prepared.delete(store);
  // On the scan threads too (a spillable aggregate of the keys, then a window over the repeated
  // ones; out of memory there, it runs again as the rest does): 1M calm records 0.3-0.46 → 0.12 s,
  // 96k hostile ones 0.15-0.35 → 0.07 s; 10M within the noise (1.7-2.4 s against 1.8-1.9).
  const { duplicates, conflicts } = await onScanThreads(() => prepareUniqueRecords(conn, store.runId, store.onConflict));
  const unique = {
    duplicates,
    conflicts,
    shape: await onScanThreads(() =>
      describeUniqueRecords(conn, store.runId, `SELECT page, t, k, ts, o FROM ${versionsTable} WHERE n > 1`),
    ),
  };
  prepared.set(store, { pagesStaged: store.pagesStaged, reopened: store.reopened, unique });
  return unique;
}

/**
 * Creates the temp view `_unique` (run_id, page, seq, key, fetched_at, record): one row per
 * key, its first occurrence by (page, seq), or its last with `onConflict` 'last'. Only the keys
 * that occur more than once are windowed (a narrow, spillable aggregate over the keys finds
 * them), so dedupe is a streaming anti-join against a small table (`versionsTable`) instead of a
 * window over every record. The same window tells each copy from the kept one by a hash of its
 * minified JSON (so whitespace is no difference, another field order or value is): a copy that
 * differs is a conflicting version. Returns the duplicates dropped and the conflicts among them.
 */
async function prepareUniqueRecords(
  conn: DuckDBConnection,
  runId: string,
  onConflict: OnConflict,
): Promise<Pick<UniqueRecords, 'duplicates' | 'conflicts'>> {
  const run = sqlString(runId);
  const order = onConflict === 'last' ? 'r.page DESC, r.seq DESC' : 'r.page, r.seq';
  await conn.run(`CREATE OR REPLACE TABLE ${versionsTable} AS
    SELECT r.page, r.seq, r.key, row_number() OVER w AS n,
      md5_number(json(r.record)) <> first_value(md5_number(json(r.record))) OVER w AS differs,
      ${recordTopSql('r.record')}, ${recordOrderSql('r.page', 'r.seq')} AS o
    FROM raw_records r SEMI JOIN (
      SELECT key FROM raw_records WHERE run_id = ${run} AND key IS NOT NULL GROUP BY key HAVING count(*) > 1
    ) d ON r.key = d.key
    WHERE r.run_id = ${run}
    WINDOW w AS (PARTITION BY r.key ORDER BY ${order})`);
  await createUniqueView(conn, runId);
  const counts = (
    await conn.runAndReadAll(`SELECT count(*), count_if(differs), count(DISTINCT key) FILTER (differs) FROM ${versionsTable} WHERE n > 1`)
  ).getRows()[0];
  const [duplicates, versions, keys] = [0, 1, 2].map((i) => Number(counts?.[i] ?? 0)) as [number, number, number];
  const examples =
    keys === 0
      ? []
      : (
          await conn.runAndReadAll(`SELECT key, list_sort(list(DISTINCT page))[1:${examplePages}], min(page) FILTER (n = 1)
            FROM ${versionsTable} GROUP BY key HAVING bool_or(differs)
            ORDER BY min(page::BIGINT * 4294967296 + seq) LIMIT ${conflictExamples}`)
        )
          .getRows()
          .map(([key, pages, kept]) => ({
            key: String(key),
            pages: pageList(pages),
            keptPage: Number(kept),
          }));
  return { duplicates, conflicts: { kept: onConflict, versions, keys, examples } };
}

/** The temp view `_unique`: the run's keyed records but the copies `versionsTable` numbers after the kept one. */
async function createUniqueView(conn: DuckDBConnection, runId: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP VIEW _unique AS
    SELECT r.run_id, r.page, r.seq, r.key, r.fetched_at, r.record
    FROM raw_records r ANTI JOIN (SELECT page, seq FROM ${versionsTable} WHERE n > 1) d ON r.page = d.page AND r.seq = d.seq
    WHERE r.run_id = ${sqlString(runId)} AND r.key IS NOT NULL`);
}

/** A DuckDB list of page numbers as numbers. */
const pageList = (value: unknown): number[] => (value instanceof DuckDBListValue ? value.items.map(Number) : []);
