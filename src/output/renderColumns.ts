/** Rendering the staged columns per output format: COPY options, and the query that reads a written file back. */
import { sqlIdent, sqlString } from '../staging/sqlText.js';
import type { StagedRecords } from '../staging/stagedRecords.js';
import type { ColumnPlan } from './columnPlan.js';
import { recordStructure } from './columnPlan.js';
import { escapeCsvCellSql } from './csvSafety.js';
import { jsonLinesCopyOptions } from './jsonLines.js';

import type { OutputFormat } from '../config/formats.js';

export type { OutputFormat };

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
 * For each nested column: whether it holds an integer of 16+ digits (all columns in one scan).
 * A STRUCT would read such a number as a double and lose digits, so the column stays JSON
 * (exact) in Parquet too. A false positive (digits inside a string) only costs the STRUCT
 * typing, never data.
 */
async function holdsBigIntegers(
  staged: Pick<StagedRecords, 'query'>,
  table: string,
  where: string,
  columns: readonly string[],
): Promise<boolean[]> {
  if (columns.length === 0) return [];
  const probes = columns.map((c) => `coalesce(bool_or(regexp_matches(${c}::VARCHAR, '[:\\[,]-?[0-9]{16,}')), false)`);
  const row = (await staged.query(`SELECT ${probes.join(', ')} FROM ${table} WHERE ${where}`))[0] ?? [];
  return columns.map((_, i) => row[i] === true);
}

/**
 * The SELECT list that renders the staged columns (`c0`, `c1`... of `table`) for a format:
 * nested values as STRUCT/LIST in Parquet and JSON elsewhere; ISO-8601 dates in text formats;
 * formula-safe text in CSV. `knownStructures` (column name -> merged JSON structure over
 * exactly the rows written) saves a scan per nested column.
 */
export async function renderColumns(
  staged: Pick<StagedRecords, 'query'>,
  table: string,
  where: string,
  plans: readonly ColumnPlan[],
  format: OutputFormat,
  knownStructures?: Readonly<Record<string, unknown>>,
): Promise<string> {
  const parts: string[] = [];
  const nested = format === 'parquet' ? plans.flatMap((plan, i) => (plan.kind === 'nested' ? [`c${i}`] : [])) : [];
  const big = new Map((await holdsBigIntegers(staged, table, where, nested)).map((b, i) => [nested[i], b]));
  for (const [i, plan] of plans.entries()) {
    const c = `c${i}`;
    let expr = c;
    if (format === 'parquet') {
      if (plan.kind === 'nested' && big.get(c) === false) {
        const known = knownStructures?.[plan.name] as Structure | undefined;
        const structure = known ?? (await recordStructure(staged, `(SELECT ${c} FROM ${table} WHERE ${where})`, c));
        if (structure !== undefined && typeof structure !== 'string')
          expr = `json_transform(${c}, ${sqlString(JSON.stringify(writable(structure)))})`;
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
      // Row groups of 32k rows: the writer buffers one per thread, which must fit the memory limit.
      return 'FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 32768';
    case 'ndjson':
    case 'json':
      return jsonLinesCopyOptions(format === 'json'); // of `jsonLinesQuery`'s lines
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
