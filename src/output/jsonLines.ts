/** NDJSON and JSON-array lines written by COPY as text, within the memory limit (DuckDB's own JSON writer is not). */
import { sqlIdent, sqlString } from '../staging/sqlText.js';
import type { StagedRecords } from '../staging/stagedRecords.js';

const castAsIs = new Set(['BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);

/** The JSON text of column `c` of DuckDB type `type`, as DuckDB's to_json writes it. */
function jsonValue(c: string, type: string): string {
  if (type === 'JSON') return `${c}::VARCHAR`; // already minified JSON (json_extract's output)
  if (castAsIs.has(type)) return `${c}::VARCHAR`;
  if (type === 'VARCHAR') {
    // Only `"`, `\` and control characters are escaped, most text has none; to_json writes control
    // characters. The last branch keeps NULL (concat() would make it "").
    return `CASE WHEN NOT regexp_matches(${c}, '["\\\\\\x00-\\x1f]') THEN concat('"', ${c}, '"')
      WHEN regexp_matches(${c}, '[\\x00-\\x1f]') THEN to_json(${c})::VARCHAR
      ELSE '"' || replace(replace(${c}, '\\', '\\\\'), '"', '\\"') || '"' END`;
  }
  return `to_json(${c})::VARCHAR`;
}

/**
 * The query of one JSON object per row of `source` (a SELECT), as the text column `line`, each
 * value under its column's name, or under `names` (one per column, in order; SQL names ignore case,
 * these are written as they are, `Name` beside `name`): the
 * bytes of DuckDB's `COPY ... (FORMAT json)`, written with `jsonLinesCopyOptions`. DuckDB's
 * own writer runs to_json over the whole row, whose arena holds each value tree and a write
 * buffer sized for the worst-case escape of every string of a 2,048-row vector, and cannot
 * spill: 2,888 records with 10 KB text fields needed an 80 MB memory limit (as CSV, 48 MB).
 * Here JSON values are copied as they are and text is escaped by replace().
 */
export async function jsonLinesQuery(
  staged: Pick<StagedRecords, 'query'>,
  source: string,
  orderBy?: string,
  names?: readonly string[],
): Promise<string> {
  // DESCRIBE's first columns are column_name and column_type.
  const columns = (await staged.query(`DESCRIBE ${source}`)).map(([name, type]) => ({ name: String(name), type: String(type) }));
  // One concat() call: chained || would copy every growing prefix of a wide row.
  const parts = columns.flatMap(({ name, type }, i) => [
    sqlString(`${i === 0 ? '{' : ','}${JSON.stringify(names?.[i] ?? name)}:`),
    `coalesce(${jsonValue(sqlIdent(name), type)}, 'null')`,
  ]);
  return `SELECT concat(${parts.join(', ')}, '}') AS line FROM (${source})${orderBy ? ` ORDER BY ${orderBy}` : ''}`;
}

/** COPY options that write `jsonLinesQuery`'s lines as NDJSON or, with `array`, a JSON array laid out as DuckDB's. */
export function jsonLinesCopyOptions(array: boolean): string {
  const lines = `FORMAT csv, HEADER false, QUOTE '', ESCAPE ''`;
  return array ? `${lines}, PREFIX '[\n\t', NEW_LINE ',\n\t', SUFFIX '\n]\n'` : lines;
}
