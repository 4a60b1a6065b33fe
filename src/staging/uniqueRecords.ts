import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../output/sqlText.js';

/** Views and tables made by `prepareUniqueRecords`, dropped by `dropUniqueRecords`. */
const dropSql = 'DROP VIEW IF EXISTS temp._unique; DROP TABLE IF EXISTS temp._dups';

/**
 * Creates the temp view `_unique` (run_id, page, seq, key, fetched_at, record): one row per
 * key, its first occurrence by (page, seq). Only the keys that occur more than once are
 * windowed (a narrow, spillable aggregate over the keys finds them), so dedupe is a
 * streaming anti-join against a small `_dups` table instead of a window over every record.
 * Returns how many keyed records were dropped as duplicates.
 */
export async function prepareUniqueRecords(conn: DuckDBConnection, runId: string): Promise<number> {
  const run = sqlString(runId);
  await conn.run(dropSql);
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

export async function dropUniqueRecords(conn: DuckDBConnection): Promise<void> {
  await conn.run(dropSql).catch(() => undefined);
}
