import { unescapeCsvCell } from '../../../src/output/csvSafety.js';
import { customerAt, expectedCustomers, resolveSimulatorOptions, toJson, type SimulatorOptions } from '../../../src/simulator/index.js';
import { idOf, type Format, type Row } from './deliveredObject.js';
import { canonicalNumber, ExactNumber, exactDifference, parseExact, type ExactValue } from './exactJson.js';

const lineage = ['_run_id', '_page', '_fetched_at'] as const;

/** The oracle's records as exact values, by id. */
export function oracleById(options: SimulatorOptions): Map<number, Readonly<Record<string, ExactValue>>> {
  const byId = new Map<number, Readonly<Record<string, ExactValue>>>();
  for (const record of expectedCustomers(options)) byId.set(record.id, parseExact(toJson(record)) as Readonly<Record<string, ExactValue>>);
  return byId;
}

/** Whether the customer is served as generated (no dirt applied). */
export function isClean(options: SimulatorOptions, id: number): boolean {
  const o = resolveSimulatorOptions(options);
  return toJson(customerAt(o.seed, id, o.dirtyRate)) === toJson(customerAt(o.seed, id, 0));
}

/**
 * A text cell read as the kind of value the oracle holds there: CSV carries no types, and
 * Parquet holds objects, arrays and fields of mixed types as their text.
 */
function textCell(cell: ExactValue, expected: ExactValue | undefined, csv: boolean): ExactValue {
  if (typeof cell !== 'string') return cell;
  const text = csv ? unescapeCsvCell(cell) : cell;
  if (expected instanceof ExactNumber) return new ExactNumber(canonicalNumber(text));
  if (typeof expected === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (typeof expected === 'string') return text === expected ? text : tryParse(text);
  if (expected !== null && typeof expected === 'object') return tryParse(text);
  return text;
}

function tryParse(text: string): ExactValue {
  try {
    return parseExact(text);
  } catch {
    return text;
  }
}

/** A row without the lineage columns, CSV and Parquet text cells typed like the oracle's values. */
export function dataOf(row: Row, format: Format, expected: Readonly<Record<string, ExactValue>> | undefined): Record<string, ExactValue> {
  const out: Record<string, ExactValue> = {};
  for (const [key, value] of Object.entries(row)) {
    if ((lineage as readonly string[]).includes(key)) continue;
    out[key] = format === 'csv' || format === 'parquet' ? textCell(value, expected?.[key], format === 'csv') : value;
  }
  return out;
}

/** The id of a row as a number (CSV gives text, JSON an exact number). */
export { idOf };

/**
 * ELT: the file holds every oracle record once, in id order, field for field as served
 * (big integers to the digit). Returns the differences (empty when the file is exact).
 */
export function eltDifferences(
  rows: readonly Row[],
  format: Format,
  oracle: ReadonlyMap<number, Readonly<Record<string, ExactValue>>>,
  runId: string,
): string[] {
  const problems: string[] = [];
  if (rows.length !== oracle.size) problems.push(`${rows.length} rows, expected ${oracle.size}`);
  rows.forEach((row, i) => {
    const expected = oracle.get(i + 1);
    if (idOf(row) !== i + 1) problems.push(`row ${i}: id ${idOf(row)}, expected ${i + 1}`);
    if (row['_run_id'] !== runId) problems.push(`row ${i}: _run_id ${String(row['_run_id'])}`);
    const d = exactDifference(dataOf(row, format, expected), expected);
    if (d !== undefined) problems.push(`customer ${i + 1}: ${d}`);
  });
  return problems.slice(0, 10);
}

/** Dates and timestamps as the oracle writes them, from any rendering DuckDB gives them. */
function isoTimestamp(value: ExactValue | undefined): ExactValue {
  if (typeof value !== 'string') return value ?? null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|\+00(?::?00)?)?$/.exec(value);
  return m ? new Date(`${m[1]}T${m[2]}Z`).toISOString() : value;
}

const trimWs = (text: string): string => text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/**
 * What ETL must make of a served customer, derived independently of the product: text trimmed,
 * emails lower-cased, numbers and booleans sent as strings typed, every odd date format read
 * back to the instant the clean record holds (the dirt only re-renders it), JSON kept.
 */
export function etlExpected(
  served: Readonly<Record<string, ExactValue>>,
  clean: Readonly<Record<string, ExactValue>>,
): Record<string, ExactValue> {
  const out: Record<string, ExactValue> = {};
  for (const [name, value] of Object.entries(served)) {
    if (value === null || name === 'tags' || name === 'address' || name === 'id') out[name] = value;
    else if (name === 'signup_date') out[name] = clean[name] ?? null;
    // A US or European rendering carries the day only: midnight of that day.
    else if (name === 'last_login_at')
      out[name] =
        typeof value === 'string' && /^\d{2}[/.]\d{2}[/.]\d{4}$/.test(value)
          ? `${String(clean[name]).slice(0, 10)}T00:00:00.000Z`
          : (clean[name] ?? null);
    else if (name === 'lifetime_value') out[name] = typeof value === 'string' ? new ExactNumber(canonicalNumber(trimWs(value))) : value;
    else if (name === 'is_active') out[name] = typeof value === 'string' ? trimWs(value).toLowerCase() === 'true' : value;
    else if (name === 'email') out[name] = typeof value === 'string' ? trimWs(value).toLowerCase() : value;
    else out[name] = typeof value === 'string' ? trimWs(value) : value;
  }
  return out;
}

/** ETL: every row holds the cleaned values of its served record (`etlExpected`). Returns the differences. */
export function etlDifferences(
  rows: readonly Row[],
  format: Format,
  options: SimulatorOptions,
  oracle: ReadonlyMap<number, Readonly<Record<string, ExactValue>>>,
): string[] {
  const o = resolveSimulatorOptions(options);
  const problems: string[] = [];
  for (const row of rows) {
    const id = idOf(row);
    const served = oracle.get(id);
    if (served === undefined) {
      problems.push(`unknown id ${id}`);
      continue;
    }
    const expected = etlExpected(served, parseExact(toJson(customerAt(o.seed, id, 0))) as Readonly<Record<string, ExactValue>>);
    const data = dataOf(row, format, expected);
    data['last_login_at'] = isoTimestamp(data['last_login_at']);
    const d = exactDifference(data, expected);
    if (d !== undefined) problems.push(`customer ${id}${isClean(options, id) ? '' : ' (dirty)'}: ${d}`);
  }
  return problems.slice(0, 10);
}
