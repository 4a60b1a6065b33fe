/**
 * The shapes of committed pages, noted while staging waits on the API (`page_shapes`), so that
 * describing the run's unique records at the end reads only the records of the pages not noted.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRecords, shapeGroupsSql, type RecordShape } from './recordFields.js';
import { sqlString } from './sqlText.js';

/**
 * Notes the groups (`shapeGroupsSql`) of the keyed records of committed `pages`, per page, and a
 * row with n = 0 per page that marks it noted (a page may hold no keyed record). Pages and their
 * records never change once committed, so a page's groups hold for any later process.
 */
export async function notePageShapes(conn: DuckDBConnection, runId: string, pages: readonly number[]): Promise<void> {
  const run = sqlString(runId);
  const list = pages.map(Number).join(', ');
  await conn.run(`INSERT INTO page_shapes
    SELECT ${run}, * FROM (${shapeGroupsSql(`raw_records WHERE run_id = ${run} AND key IS NOT NULL AND page IN (${list})`, 'page, ')})
    UNION ALL SELECT ${run}, unnest([${list}]), NULL, NULL, NULL, NULL, 0`);
}

/**
 * `describeRecords` over the temp view `_unique` (the run's keyed records less the copies of a
 * key dropped, which `droppedPages` selects the pages of): the noted groups of the pages that lost
 * no copy count their records, and only the other pages' records are read, unless those are half
 * the pages or more. Exact either way: the groups of a page are those of its keyed records, all of
 * them unique on such a page.
 */
export async function describeUniqueRecords(conn: DuckDBConnection, runId: string, droppedPages: string): Promise<RecordShape> {
  const run = sqlString(runId);
  await conn.run(`CREATE OR REPLACE TEMP TABLE _rest AS
    (SELECT page FROM pages WHERE run_id = ${run} EXCEPT SELECT page FROM page_shapes WHERE run_id = ${run}) UNION ${droppedPages}`);
  try {
    const [rest, pages] = (
      await conn.runAndReadAll(`SELECT (SELECT count(*) FROM _rest), (SELECT count(*) FROM pages WHERE run_id = ${run})`)
    )
      .getRows()[0]!
      .map(Number) as [number, number];
    // Most pages to read anyway (none noted, or many lost a copy, as `hostile`'s 95 of 96): one plain scan, without the joins.
    if (2 * rest >= pages) return await describeRecords(conn, '_unique');
    return await describeRecords(
      conn,
      '(SELECT * FROM _unique WHERE page IN (SELECT page FROM _rest))',
      `SELECT t, k, ts, first, n FROM page_shapes WHERE run_id = ${run} AND n > 0 AND page NOT IN (SELECT page FROM _rest)`,
    );
  } finally {
    await conn.run('DROP TABLE IF EXISTS temp._rest');
  }
}
