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
 * key dropped, which `droppedRows` selects by page and seq): the noted groups of the other pages
 * count their records, less the groups of the copies dropped from them, and only the records of
 * the pages not noted are read, unless those are half the pages or more. A page is read too where
 * a dropped copy was the first record of a group that keeps others: that group's first on the page
 * (which orders the keys) is then not noted. Exact either way: a page's groups are those of its
 * keyed records, and a copy dropped is one of them.
 */
export async function describeUniqueRecords(conn: DuckDBConnection, runId: string, droppedRows: string): Promise<RecordShape> {
  const run = sqlString(runId);
  const [noted, pages] = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(DISTINCT page) FROM page_shapes WHERE run_id = ${run}), (SELECT count(*) FROM pages WHERE run_id = ${run})`,
    )
  )
    .getRows()[0]!
    .map(Number) as [number, number];
  // Most pages not noted (as where staging kept the connection busy): one plain scan, without the joins.
  if (2 * (pages - noted) >= pages) return describeRecords(conn, '_unique');
  const dropped = shapeGroupsSql(`raw_records SEMI JOIN (${droppedRows}) dropped USING (page, seq) WHERE run_id = ${run}`, 'page, ');
  const sameGroup = ['t', 'k', 'ts'].map((c) => `s.${c} IS NOT DISTINCT FROM d.${c}`).join(' AND ');
  try {
    // Each noted group less its copies dropped; `lost_first`: its first record on the page was one.
    await conn.run(`CREATE OR REPLACE TEMP TABLE _kept AS
      SELECT s.page, s.t, s.k, s.ts, s.first, s.n - coalesce(d.n, 0) AS n, s.first = d.first AS lost_first
      FROM page_shapes s LEFT JOIN (${dropped}) d ON s.page = d.page AND ${sameGroup}
      WHERE s.run_id = ${run} AND s.n > 0`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE _rest AS
      (SELECT page FROM pages WHERE run_id = ${run} EXCEPT SELECT page FROM page_shapes WHERE run_id = ${run})
      UNION SELECT page FROM _kept WHERE lost_first AND n > 0`);
    const rest = Number((await conn.runAndReadAll('SELECT count(*) FROM _rest')).getRows()[0]?.[0]);
    if (2 * rest >= pages) return await describeRecords(conn, '_unique');
    return await describeRecords(
      conn,
      '(SELECT * FROM _unique WHERE page IN (SELECT page FROM _rest))',
      'SELECT t, k, ts, first, n FROM _kept WHERE n > 0 AND page NOT IN (SELECT page FROM _rest)',
    );
  } finally {
    await conn.run('DROP TABLE IF EXISTS temp._rest; DROP TABLE IF EXISTS temp._kept');
  }
}
