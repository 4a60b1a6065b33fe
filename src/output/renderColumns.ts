import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnPlan } from './columnPlan.js';
import { recordStructure } from './columnPlan.js';
import { escapeCsvCellSql } from './csvSafety.js';
import { sqlIdent, sqlString } from './sqlText.js';

export type OutputFormat = 'parquet' | 'ndjson' | 'csv' | 'json';

const isoDate = (c: string): string => `strftime(${c}, '%Y-%m-%d')`;
const isoTimestamp = (c: string): string => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

type Structure = string | readonly Structure[] | { readonly [key: string]: Structure };

/** Parquet cannot store the NULL type: a field that was only ever null becomes VARCHAR. */
function writable(structure: Structure): Structure {
  if (typeof structure === 'string') return structure === 'NULL' ? 'VARCHAR' : structure;
  if (Array.isArray(structure)) return structure.map(writable);
  return Object.fromEntries(Object.entries(structure).map(([k, v]) => [k, writable(v as Structure)]));
}

/**
 * Whether a nested column holds an integer of 16+ digits: a STRUCT would read it as a double
 * and lose digits, so such a column stays JSON (exact) in Parquet too. A false positive (digits
 * inside a string) only costs the STRUCT typing, never data.
 */
async function holdsBigIntegers(conn: DuckDBConnection, table: string, where: string, column: string): Promise<boolean> {
  const reader = await conn.runAndReadAll(`SELECT coalesce(bool_or(regexp_matches(${column}::VARCHAR, '[:\\[,]-?[0-9]{16,}')), false) FROM ${table} WHERE ${where}`);
  return reader.getRows()[0]?.[0] === true;
}

/**
 * The SELECT list that renders the staged columns (`c0`, `c1`... of `table`) for a format:
 * nested values as STRUCT/LIST in Parquet and JSON elsewhere; ISO-8601 dates in text formats;
 * formula-safe text in CSV.
 */
export async function renderColumns(
  conn: DuckDBConnection,
  table: string,
  where: string,
  plans: readonly ColumnPlan[],
  format: OutputFormat,
): Promise<string> {
  const parts: string[] = [];
  for (const [i, plan] of plans.entries()) {
    const c = `c${i}`;
    let expr = c;
    if (format === 'parquet') {
      if (plan.kind === 'nested' && !(await holdsBigIntegers(conn, table, where, c))) {
        const structure = await recordStructure(conn, `(SELECT ${c} FROM ${table} WHERE ${where})`, c);
        if (structure !== undefined && typeof structure !== 'string') expr = `json_transform(${c}, ${sqlString(JSON.stringify(writable(structure)))})`;
      }
    } else if (plan.kind === 'date') {
      expr = isoDate(c);
    } else if (plan.kind === 'timestamp') {
      expr = isoTimestamp(c);
    } else if (format === 'csv' && (plan.kind === 'text' || plan.kind === 'json' || plan.kind === 'nested')) {
      expr = escapeCsvCellSql(`${c}::VARCHAR`);
    }
    parts.push(`${expr} AS ${sqlIdent(plan.name)}`);
  }
  return parts.join(', ');
}

export function copyOptions(format: OutputFormat): string {
  switch (format) {
    case 'parquet':
      return 'FORMAT parquet, COMPRESSION zstd';
    case 'ndjson':
      return 'FORMAT json';
    case 'json':
      return 'FORMAT json, ARRAY true';
    case 'csv':
      return `FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"'`;
  }
}

/** A query that reads the whole file back (proves it is readable) and counts its rows. */
export function readBackCountSql(format: OutputFormat, path: string): string {
  const p = sqlString(path);
  switch (format) {
    case 'parquet':
      return `SELECT count(*) FROM read_parquet(${p})`;
    case 'ndjson':
      return `SELECT count(*) FROM read_ndjson_objects(${p})`;
    case 'json':
      return `SELECT count(*) FROM read_json_objects(${p}, format = 'array')`;
    case 'csv':
      return `SELECT count(*) FROM read_csv(${p}, header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true)`;
  }
}
