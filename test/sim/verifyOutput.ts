import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { expectedCustomers, toJson, type SimulatorOptions } from '../../src/simulator/index.js';
import type { SimFormat } from './scenario.js';

const lineage = new Set(['_run_id', '_page', '_fetched_at']);
const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

let shared: Promise<DuckDBConnection> | undefined;

/** One in-memory DuckDB per process, for reading final files back. */
function connection(): Promise<DuckDBConnection> {
  shared ??= DuckDBInstance.create(':memory:', { threads: '1' }).then((db) => db.connect());
  return shared;
}

/** Every row of a final file as JSON text, read by DuckDB: exact source text for the JSON formats. */
async function rowsAsJson(path: string, format: SimFormat): Promise<string[]> {
  const conn = await connection();
  const sql =
    format === 'parquet'
      ? `SELECT to_json(t)::VARCHAR FROM read_parquet(${sqlString(path)}, hive_partitioning = false) t`
      : format === 'ndjson'
        ? `SELECT json::VARCHAR FROM read_ndjson_objects(${sqlString(path)})`
        : `SELECT json::VARCHAR FROM read_json_objects(${sqlString(path)}, format = 'array')`;
  const reader = await conn.runAndReadAll(sql);
  return reader.getRows().map(([text]) => String(text));
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether a landed value equals the source's (as `isDeepStrictEqual` of JSON values would),
 * but for the nulls a typed column adds for keys the source does not have and, at the top,
 * the lineage columns. Compares in place: the campaign checks every record of every seed.
 */
function landedAs(actual: unknown, expected: unknown, top = false, textual = false): boolean {
  if (Object.is(actual, expected)) return true;
  // Parquet holds objects, arrays and fields of mixed JSON types as their JSON text (a VARCHAR column).
  if (textual && typeof actual === 'string' && typeof expected !== 'string' && expected !== null) return landedAs(parsed(actual), expected);
  if (Array.isArray(actual))
    return Array.isArray(expected) && actual.length === expected.length && actual.every((v, i) => landedAs(v, expected[i]));
  if (!isRecord(actual) || !isRecord(expected)) return false;
  let matched = 0;
  for (const [k, v] of Object.entries(actual)) {
    if (top && lineage.has(k)) continue;
    if (!Object.hasOwn(expected, k)) {
      if (v === null) continue;
      return false;
    }
    if (!landedAs(v, expected[k], false, textual && top)) return false;
    matched++;
  }
  return matched === Object.keys(expected).length;
}

/**
 * The final file against the oracle (ELT): the same ids as the source, each once, and each
 * record's content equal to what the simulator generates for it (lineage columns aside).
 */
export async function verifyOutput(path: string, format: SimFormat, source: SimulatorOptions): Promise<string[]> {
  const problems: string[] = [];
  const rows = await rowsAsJson(path, format);
  const byId = new Map<string, Record<string, unknown>>();
  let duplicated = 0;
  for (const text of rows) {
    const row = JSON.parse(text) as Record<string, unknown>;
    const id = String(row['id']);
    if (byId.has(id)) duplicated++;
    byId.set(id, row);
  }
  if (duplicated > 0) problems.push(`the output holds ${duplicated} duplicate ids`);
  let expectedCount = 0;
  const missing: number[] = [];
  const differing: number[] = [];
  let firstDiff = '';
  for (const record of expectedCustomers(source)) {
    expectedCount++;
    const actual = byId.get(String(record.id));
    if (actual === undefined) {
      missing.push(record.id);
      continue;
    }
    byId.delete(String(record.id));
    const expected = JSON.parse(toJson(record)) as unknown;
    if (!landedAs(actual, expected, true, format === 'parquet')) {
      differing.push(record.id);
      const source = expected as Record<string, unknown>;
      const only = (row: Record<string, unknown>, k: string): Record<string, unknown> => (Object.hasOwn(row, k) ? { [k]: row[k] } : {});
      const keys = [...new Set([...Object.keys(source), ...Object.keys(actual).filter((k) => !lineage.has(k))])].filter(
        (k) => !landedAs(only(actual, k), only(source, k), true, format === 'parquet'),
      );
      firstDiff ||= `id ${record.id}: ${keys.map((k) => `${k}: expected ${JSON.stringify(source[k])}, got ${JSON.stringify(actual[k])}`).join('; ')}`;
    }
  }
  if (missing.length > 0) problems.push(`${missing.length} source ids missing from the output (first: ${missing.slice(0, 5).join(', ')})`);
  if (byId.size > 0)
    problems.push(`${byId.size} ids in the output that the source does not have (first: ${[...byId.keys()].slice(0, 5).join(', ')})`);
  if (differing.length > 0) problems.push(`${differing.length} records differ from the source; ${firstDiff.slice(0, 600)}`);
  if (rows.length !== expectedCount - missing.length + byId.size + duplicated && problems.length === 0)
    problems.push(`row count ${rows.length} != ${expectedCount}`);
  return problems;
}
