/**
 * The shapes of committed pages, noted while staging waits on the API (`page_shapes`), so that
 * describing the run's unique records at the end reads only the records of the pages not noted.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { describeRecords, groupShapesSql, shapeGroupsSql, type RecordShape } from './recordFields.js';
import { sqlString } from './sqlText.js';

/**
 * Notes the groups (`shapeGroupsSql`) of the keyed records of committed `pages`, per page, with
 * where each group's second record stands (`second`: where the first is dropped as a copy, the
 * group's first on the page is known without reading it), and a row with n = 0 per page that marks
 * it noted (a page may hold no keyed record). Pages and their records never change once
 * committed, so a page's groups hold for any later process.
 */
export async function notePageShapes(conn: DuckDBConnection, runId: string, pages: readonly number[]): Promise<void> {
  const run = sqlString(runId);
  const list = pages.map(Number).join(', ');
  const groups = shapeGroupsSql(`raw_records WHERE run_id = ${run} AND key IS NOT NULL AND page IN (${list})`, 'page, ', ', min(o, 2)[2]');
  await conn.run(`INSERT INTO page_shapes (run_id, page, t, k, ts, first, n, second)
    SELECT ${run}, * FROM (${groups})
    UNION ALL SELECT ${run}, unnest([${list}]), NULL, NULL, NULL, NULL, 0, NULL`);
}

/**
 * `describeRecords` over the temp view `_unique` (the run's keyed records less the copies of a
 * key dropped, whose page, top level (`recordTopSql`) and place `dropped` selects as page, t, k,
 * ts, o): the noted groups of the other pages count their records, less the copies dropped from
 * them, and only the records of the pages not noted are read, unless those are half the pages or
 * more. Where a dropped copy was the first record of a group that keeps others, the group's next
 * record is its first, unless it was dropped too or its place was not noted (by a version that
 * did not keep `second`): that page is read then, as the group's first on it orders the keys.
 * Exact either way: a page's groups are those of its keyed records, and a copy dropped is one of
 * them.
 */
export async function describeUniqueRecords(conn: DuckDBConnection, runId: string, dropped: string): Promise<RecordShape> {
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
  const droppedGroups = groupShapesSql(dropped, 'page, ', ', list(o) AS os');
  const sameGroup = ['t', 'k', 'ts'].map((c) => `s.${c} IS NOT DISTINCT FROM d.${c}`).join(' AND ');
  try {
    // Each noted group less its copies dropped, and its first record kept (NULL: not known).
    await conn.run(`CREATE OR REPLACE TEMP TABLE _kept AS
      SELECT s.page, s.t, s.k, s.ts, s.n - coalesce(d.n, 0) AS n,
        CASE WHEN s.first IS DISTINCT FROM d.first THEN s.first WHEN NOT list_contains(d.os, s.second) THEN s.second END AS first
      FROM page_shapes s LEFT JOIN (${droppedGroups}) d ON s.page = d.page AND ${sameGroup}
      WHERE s.run_id = ${run} AND s.n > 0`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE _rest AS
      (SELECT page FROM pages WHERE run_id = ${run} EXCEPT SELECT page FROM page_shapes WHERE run_id = ${run})
      UNION SELECT page FROM _kept WHERE first IS NULL AND n > 0`);
    const rest = Number((await conn.runAndReadAll('SELECT count(*) FROM _rest')).getRows()[0]?.[0]);
    if (2 * rest >= pages) return await describeRecords(conn, '_unique');
    const known = 'SELECT t, k, ts, first, n FROM _kept WHERE n > 0 AND page NOT IN (SELECT page FROM _rest)';
    return await (rest === 0
      ? describeRecords(conn, null, known)
      : describeRecords(conn, '(SELECT * FROM _unique WHERE page IN (SELECT page FROM _rest))', known));
  } finally {
    await conn.run('DROP TABLE IF EXISTS temp._rest; DROP TABLE IF EXISTS temp._kept');
  }
}
