import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLinesCopyOptions, jsonLinesQuery } from '../../src/output/jsonLines.js';

let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'json-lines-'));
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  // Every ASCII character and some beyond, alone and inside text; every type the writer renders.
  await conn.run(`CREATE TABLE t AS
    SELECT i AS "id", chr(i) AS "char", 'a' || chr(i) || '"\\/é😀' || chr(8232) || 'z' AS "text",
      CASE WHEN i % 7 = 0 THEN NULL ELSE json_extract('{"a":{"b":[1,2.50,"x\\"y",null,true,123456789012345678901234567890]},"n":null}', '$.a') END AS "nested",
      json_extract('{"n":null}', '$.n') AS "json null",
      (i % 256 - 128)::TINYINT AS "tiny", (i::BIGINT * 1000000007 - 3) AS "big", 18446744073709551615::UBIGINT - i AS "ubig",
      (i::HUGEINT * 100000000000000000000000) AS "huge", i / 7 AS "double", (i / 3)::DECIMAL(38, 4) AS "decimal",
      [1e20, -0.0, 1e-7, i::DOUBLE][i % 4 + 1] AS "edge doubles", i % 2 = 0 AS "bool",
      DATE '2026-01-01' + i AS "date", TIMESTAMP '2026-01-02 03:04:05.678' + INTERVAL (i) SECOND AS "ts",
      ['x', chr(i), NULL] AS "list", {'k': i, 's': chr(i)} AS "struct", NULL::VARCHAR AS "null text", '' AS "empty",
      i AS "quote""key"
    FROM (SELECT n::INTEGER AS i FROM range(0, 200) r(n))`);
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
/** The test table's connection, read as the writer reads staged records. */
const staged = { query: async (sql: string): Promise<unknown[][]> => (await conn.runAndReadAll(sql)).getRows() };

describe('jsonLinesQuery', () => {
  it.each([
    ['NDJSON', false, 'SELECT * FROM t'],
    ['a JSON array', true, 'SELECT * FROM t'],
    ['NDJSON of no rows', false, 'SELECT * FROM t WHERE false'],
    ['a JSON array of no rows', true, 'SELECT * FROM t WHERE false'],
  ])('writes %s byte for byte as COPY (FORMAT json) does', async (_, array, source) => {
    await conn.run(`COPY (${source}) TO '${join(dir, 'duckdb.json')}' (FORMAT json${array ? ', ARRAY true' : ''})`);
    await conn.run(`COPY (${await jsonLinesQuery(staged, source)}) TO '${join(dir, 'lines.json')}' (${jsonLinesCopyOptions(array)})`);
    expect(read('lines.json')).toBe(read('duckdb.json'));
  });

  it('orders the lines by columns of the source', async () => {
    const query = await jsonLinesQuery(staged, 'SELECT id, "char" FROM t WHERE id BETWEEN 1 AND 3', 'id DESC');
    const reader = await conn.runAndReadAll(query);
    expect(reader.getRows().map(([line]) => JSON.parse(String(line)) as unknown)).toEqual([
      { id: 3, char: '\u0003' },
      { id: 2, char: '\u0002' },
      { id: 1, char: '\u0001' },
    ]);
  });
});
