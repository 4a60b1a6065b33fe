/** Describing staged records (their keys and structure) and reading their fields: what staging knows of what it holds. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { jsonPath, sqlIdent } from './sqlText.js';

/** SQL for the JSON of a record's top-level field: NULL when absent, the JSON `null` when null. */
export interface FieldSql {
  (name: string): string;
  /**
   * SQL for the field's text, as `json_extract_string` gives it: a string without its quotes,
   * any other value as its JSON text, NULL when null or absent.
   */
  text(name: string): string;
  /** SQL for the field's JSON type, as `json_type` gives it: 'NULL' for a JSON null, NULL when absent. */
  type(name: string): string;
}

/** What the records of a run look like: their top-level keys, merged JSON structure and the JSON types of each key. */
export interface RecordShape {
  /** Top-level keys in first-seen order: by (page, seq) of the first record with the key, then position in it. */
  readonly keys: readonly string[];
  /**
   * json_group_structure (parsed) of a sample record per top level (its JSON type, keys and their
   * JSON types): exact at the top level, where columns are inferred from; below it, every object
   * and array is empty. Undefined when there are no records.
   */
  readonly structure: unknown;
  /**
   * Per top-level key, the records holding it per JSON type of its value (VARCHAR, UBIGINT, NULL
   * for a JSON null...), as `json_type(record, '$."key"')` counts them: a key twice in a record
   * counts once, with its first value. Counted over the groups, not read again from the records.
   */
  readonly types: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

/** SQL for a JSON literal of the JSON type `type` names (as `json_type` does). */
const typeSample = (type: string): string =>
  `CASE ${type} WHEN 'OBJECT' THEN '{}' WHEN 'ARRAY' THEN '[]' WHEN 'VARCHAR' THEN '""' WHEN 'BOOLEAN' THEN 'true' WHEN 'NULL' THEN 'null'
    WHEN 'UBIGINT' THEN '0' WHEN 'BIGINT' THEN '-1' WHEN 'DOUBLE' THEN '0.5' ELSE error('no sample of the JSON type ' || ${type}) END`;

/**
 * A group of `_shapes` as a small record of its top level: its keys in order, each with a value
 * of its type (objects and arrays empty), or a value of the record's type when it is no object.
 */
const sampleSql = `(CASE WHEN t = 'OBJECT'
  THEN '{' || array_to_string(list_transform(list_zip(k, ts), p -> to_json(p[1])::VARCHAR || ':' || ${typeSample('p[2]')}), ',') || '}'
  ELSE ${typeSample('t')} END)::JSON`;

/**
 * SQL for a record's top level, the columns a group is made of: `t` its JSON type, `k` its keys in
 * order, `ts` each value's JSON type. An object (valid JSON text opening with a brace) needs no
 * parse for its type: 96k hostile records, one thread, 282 → 173 ms for the groups.
 */
export const recordTopSql = (record: string): string =>
  `CASE WHEN starts_with(${record}, '{') THEN 'OBJECT' ELSE json_type(${record}) END AS t, json_keys(${record}) AS k, json_type(${record}, '$.*') AS ts`;

/** SQL for where a record stands in the run (page, then seq), leaving room to add a key's position in it. */
export const recordOrderSql = (page: string, seq: string): string => `${page}::BIGINT * 1000000000000 + ${seq}::BIGINT * 100000`;

/**
 * SQL for the groups (`by` columns, t, k, ts, first, n, then `more` aggregates of `o`) of the
 * `rows` a query gives with those columns (a record's top level, `recordTopSql`, and `o`, where it
 * stands): counted, with where each group first occurs.
 */
export const groupShapesSql = (rows: string, by = '', more = ''): string =>
  `SELECT ${by}t, k, ts, min(o) AS first, count(*) AS n${more} FROM (${rows}) GROUP BY ALL`;

/**
 * SQL for the groups (`groupShapesSql`) of the records `from` selects (page, seq, record), grouped
 * by their top level. Two cheap parses of a record cost less than json_structure's one, which
 * builds its whole nested structure (1M calm records: 2.25 → ~1.1 s).
 */
export const shapeGroupsSql = (from: string, by = '', more = ''): string =>
  groupShapesSql(`SELECT ${by}${recordTopSql('record')}, ${recordOrderSql('page', 'seq')} AS o FROM ${from}`, by, more);

/**
 * The keys and structure of `record` over `table` (with `page`, `seq`) from ONE scan of its
 * groups (`shapeGroupsSql`), with the groups `known` selects (t, k, ts, first, n) counted for
 * other records (`pageShapes`; `table` null: no record is read, every group is known): keys,
 * types and the merged structure come from those few groups: the same keys in the same order as
 * over every record (a group's records have the same keys), and the same types at the top level
 * (a group's values have the same types there), which is all a column is inferred from. The
 * structure merges a small sample record per group, not a record: carried through the grouping
 * and read by json_group_structure, a record of 12 MiB needed a memory limit of 1 GB, and 256 MB
 * without.
 * Neither json_group_structure nor unnesting every record's keys runs over all records: both
 * held memory beyond the limit at scale.
 */
export async function describeRecords(conn: DuckDBConnection, table: string, known?: string): Promise<RecordShape>;
export async function describeRecords(conn: DuckDBConnection, table: null, known: string): Promise<RecordShape>;
export async function describeRecords(conn: DuckDBConnection, table: string | null, known?: string): Promise<RecordShape> {
  const read = table === null ? [] : [shapeGroupsSql(table)];
  // Known groups (noted per page) are merged with those read: the queries below run once per group.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE _shapes AS ${
      known === undefined
        ? read.join('')
        : `SELECT t, k, ts, min(first) AS first, sum(n) AS n FROM (${[known, ...read].join(' UNION ALL ')}) GROUP BY ALL`
    }`,
  );
  try {
    const keys = await conn.runAndReadAll(`SELECT k FROM (
        SELECT unnest(k) AS k, generate_subscripts(k, 1) AS pos, first FROM _shapes
      ) GROUP BY k ORDER BY min(first + pos), k`);
    const structure = await conn.runAndReadAll(`SELECT json_group_structure(${sampleSql})::VARCHAR FROM _shapes`);
    const text = structure.getRows()[0]?.[0];
    // A group's records share their keys and their values' types: each key's first occurrence counts n records.
    const counted = await conn.runAndReadAll(`SELECT k, t, sum(n)::DOUBLE FROM (
        SELECT k, t, n FROM (
          SELECT unnest(k) AS k, unnest(ts) AS t, generate_subscripts(k, 1) AS pos, n, first FROM _shapes
        ) QUALIFY row_number() OVER (PARTITION BY first, k ORDER BY pos) = 1
      ) GROUP BY k, t`);
    // A Map: the keys are the API's (`__proto__` is one like any other).
    const types = new Map<string, Record<string, number>>();
    for (const [k, t, n] of counted.getRows()) {
      const key = String(k);
      const counts = types.get(key) ?? {};
      counts[String(t)] = Number(n);
      types.set(key, counts);
    }
    return {
      keys: keys.getRows().map(([k]) => String(k)),
      structure: typeof text === 'string' ? (JSON.parse(text) as unknown) : undefined,
      types,
    };
  } finally {
    await conn.run('DROP TABLE IF EXISTS temp._shapes');
  }
}

/**
 * Creates the temp view `view` over `table` with `_fields`, `_texts` and `_types`: every named
 * field of `record` extracted by ONE `json_extract` (and ONE `json_extract_string` for their
 * texts, ONE `json_type` for their types) with a list of paths, so each record is parsed once
 * per list however many columns use it: a JSON function per column parses the record, or the
 * field's value, again (and each keeps its own per-thread parse arena). DuckDB computes only the
 * lists a query reads. Returns the accessor.
 */
export async function createFieldsView(conn: DuckDBConnection, view: string, table: string, names: readonly string[]): Promise<FieldSql> {
  const paths = names.map(jsonPath).join(', ');
  const list = (fn: string, type: string): string => (names.length === 0 ? `NULL::${type}[]` : `${fn}(record, [${paths}])`);
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW ${sqlIdent(view)} AS SELECT *, ${list('json_extract', 'JSON')} AS _fields, ${list('json_extract_string', 'VARCHAR')} AS _texts, ${list('json_type', 'VARCHAR')} AS _types FROM ${table}`,
  );
  const index = new Map(names.map((name, i) => [name, i + 1]));
  const at =
    (column: string, type: string) =>
    (name: string): string => {
      const i = index.get(name);
      return i === undefined ? `NULL::${type}` : `${column}[${i}]`;
    };
  return Object.assign(at('_fields', 'JSON'), { text: at('_texts', 'VARCHAR'), type: at('_types', 'VARCHAR') });
}
