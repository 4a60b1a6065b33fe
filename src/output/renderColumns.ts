/** Rendering the staged columns per output format: COPY options, and the query that reads a written file back. */
import { sqlIdent, sqlString } from '../staging/sqlText.js';
import type { ColumnPlan } from './columnPlan.js';
import { escapeCsvCellSql } from './csvSafety.js';
import { jsonLinesCopyOptions } from './jsonLines.js';

import type { OutputFormat } from '../config/formats.js';

export type { OutputFormat };

const isoDate = (c: string): string => `strftime(${c}, '%Y-%m-%d')`;
const isoTimestamp = (c: string): string => `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/**
 * The SELECT list that renders the staged columns (`c0`, `c1`... of the rows) for a format:
 * JSON columns as raw JSON in the JSON formats and as text in Parquet and CSV (never a quoted
 * string, and one column type whatever the values); ISO-8601 dates in text formats;
 * formula-safe text in CSV. Columns are named as planned, except in the JSON formats: there they
 * are `c0`, `c1`... too, as SQL names ignore case and `Name` would bind `name` (`jsonLinesQuery`
 * writes the planned names).
 */
export function renderColumns(plans: readonly ColumnPlan[], format: OutputFormat): string {
  const jsonFormat = format === 'ndjson' || format === 'json';
  return plans
    .map((plan, i) => {
      const c = `c${i}`;
      let expr = c;
      if (plan.kind === 'json' && !jsonFormat) expr = `json_extract_string(${c}, '$')`;
      else if (plan.kind === 'date' && format !== 'parquet') expr = isoDate(c);
      else if (plan.kind === 'timestamp' && format !== 'parquet') expr = isoTimestamp(c);
      if (format === 'csv' && (plan.kind === 'text' || plan.kind === 'json')) expr = escapeCsvCellSql(`${expr}::VARCHAR`);
      return `${expr} AS ${jsonFormat ? c : sqlIdent(plan.name)}`;
    })
    .join(', ');
}

export function copyOptions(format: OutputFormat): string {
  switch (format) {
    case 'parquet':
      // The writer buffers a row group per thread, which must fit the memory limit: 16k rows, and
      // about 4 MB of them (checked every 2,048 rows; DuckDB honours it where insertion order is
      // not kept, as staging has it). hostile's records (one in ten with a 10 KB field) made 32k
      // rows ~33 MB: under the write limit (duckdbMemory) its 96k records took 500 ms to write
      // instead of 300, and 285 ms with a cap. Half of 32k rows and 8 MB lets two threads write
      // 1M calm records under the 48 MB write limit, where only one fitted: 2.7 → 1.4 s, the
      // file 41.8 → 42.9 MB, the same peak RSS.
      return "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 16384, ROW_GROUP_SIZE_BYTES '4MB'";
    case 'ndjson':
    case 'json':
      return jsonLinesCopyOptions(format === 'json'); // of `jsonLinesQuery`'s lines
    case 'csv':
      return `FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ESCAPE '"'`;
  }
}

const MiB = 1024 * 1024;

/**
 * The table function that reads the file back, reading a CSV line or a JSON value of up to `room`
 * bytes in one piece (DuckDB's readers hold 8 MB and 16 MB here; `readBackRoom` reads what a longer
 * one needs). A JSON format's rows are its values, in the column `json`.
 */
export function readBackReader(format: OutputFormat, path: string, room = 0): string {
  const p = sqlString(path);
  const objects = `maximum_object_size = ${Math.max(room, 16 * MiB)}`;
  switch (format) {
    case 'parquet':
      return `read_parquet(${p})`;
    case 'ndjson':
      return `read_ndjson_objects(${p}, ${objects})`;
    case 'json':
      return `read_json_objects(${p}, format = 'array', ${objects})`;
    case 'csv': {
      // DuckDB's CSV reader takes two buffers of 32 MB by default: from files of about that size
      // on, counting ran out of a 64 MB limit, and the whole write ran again with twice the limit
      // (2M calm records: 18.5 s, peak 304 MB). A buffer holds the longest line it can read.
      const buffer = Math.max(room, 8 * MiB);
      return `read_csv(${p}, header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true, buffer_size = ${buffer}, max_line_size = ${buffer})`;
    }
  }
}

/**
 * The bytes a read-back needs where `error` says a CSV line ("Actual Size:N bytes") or a JSON
 * value ("(>N bytes)": at least) was longer than the reader held; undefined for other errors.
 */
export function readBackRoom(error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const line = /Maximum line size of \d+ bytes exceeded\. Actual Size:(\d+) bytes/.exec(message)?.[1];
  if (line !== undefined) return Number(line) + 1;
  const value = /"maximum_object_size" of \d+ bytes exceeded while reading file .*\(>(\d+) bytes\)/.exec(message)?.[1];
  return value === undefined ? undefined : 2 * Number(value);
}
