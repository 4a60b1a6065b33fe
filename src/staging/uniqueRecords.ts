/** The run's unique records (dedupe by key, first occurrence kept): staging's, as it owns the tables and their keys. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRecords, type RecordShape } from './recordFields.js';
import { sqlString } from './sqlText.js';
import type { StagingStore } from './StagingStore.js';

export interface UniqueRecords {
  /** Keyed records dropped as later copies of a key. */
  readonly duplicates: number;
  /** The keys and structure of the unique records. */
  readonly shape: RecordShape;
}

const prepared = new WeakMap<StagingStore, { readonly pagesStaged: number; readonly reopened: number; readonly unique: UniqueRecords }>();

/**
 * The temp view `_unique` on the store's connection (see `prepareUniqueRecords`) and what its
 * records look like, made once and kept until another page is staged: the final file and the
 * report each need them, and describing the records costs a JSON structure per record (~10 s
 * for 1M records).
 */
export async function uniqueRecords(store: StagingStore, conn: DuckDBConnection): Promise<UniqueRecords> {
  const cached = prepared.get(store);
  if (cached !== undefined && cached.pagesStaged === store.pagesStaged) {
    // A reopened database (StagingStore.releaseMemory) lost the view, not what the records look like.
    if (cached.reopened !== store.reopened) {
      await prepareUniqueRecords(conn, store.runId);
      prepared.set(store, { ...cached, reopened: store.reopened });
    }
    return cached.unique;
  }
  prepared.delete(store);
  const unique = { duplicates: await prepareUniqueRecords(conn, store.runId), shape: await describeRecords(conn, '_unique') };
  prepared.set(store, { pagesStaged: store.pagesStaged, reopened: store.reopened, unique });
  return unique;
}

/**
 * Creates the temp view `_unique` (run_id, page, seq, key, fetched_at, record): one row per
 * key, its first occurrence by (page, seq). Only the keys that occur more than once are
 * windowed (a narrow, spillable aggregate over the keys finds them), so dedupe is a
 * streaming anti-join against a small `_dups` table instead of a window over every record.
 * Returns how many keyed records were dropped as duplicates.
 */
async function prepareUniqueRecords(conn: DuckDBConnection, runId: string): Promise<number> {
  const run = sqlString(runId);
  await conn.run('DROP VIEW IF EXISTS temp._unique; DROP TABLE IF EXISTS temp._dups');
  await conn.run(`CREATE TEMP TABLE _dups AS
    SELECT page, seq FROM (
      SELECT r.page, r.seq, row_number() OVER (PARTITION BY r.key ORDER BY r.page, r.seq) AS n
      FROM raw_records r SEMI JOIN (
        SELECT key FROM raw_records WHERE run_id = ${run} AND key IS NOT NULL GROUP BY key HAVING count(*) > 1
      ) d ON r.key = d.key
      WHERE r.run_id = ${run}
    ) WHERE n > 1`);
  await conn.run(`CREATE TEMP VIEW _unique AS
    SELECT r.run_id, r.page, r.seq, r.key, r.fetched_at, r.record
    FROM raw_records r ANTI JOIN temp._dups d ON r.page = d.page AND r.seq = d.seq
    WHERE r.run_id = ${run} AND r.key IS NOT NULL`);
  const reader = await conn.runAndReadAll('SELECT count(*) FROM temp._dups');
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
