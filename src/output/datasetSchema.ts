/**
 * A dataset's schema held across runs (ELT): the first delivered run's column types are kept;
 * a new field adds a column; a value that does not fit its column's type lands in a variant
 * column `<column>__v_<type>` (dlt's convention), so no record is lost and no type changes.
 */
import { IngestError } from '../errors.js';
import type { RenamedField, SchemaChange, SchemaColumn } from '../report/runReport.js';
import type { FieldSql, RecordShape } from '../staging/recordFields.js';
import type { StagedRecords } from '../staging/stagedRecords.js';
import { sqlString } from '../staging/sqlText.js';
import { nameColumns } from './columnNames.js';
import { expectedColumns, inferredColumns, jsonValueSql, kindOfType, type ColumnPlan } from './columnPlan.js';

/** The columns of this run's file, the schema to record, the columns it added and the fields named otherwise (in Parquet and CSV). */
export interface ResolvedColumns {
  readonly plans: readonly ColumnPlan[];
  readonly columns: readonly SchemaColumn[];
  readonly changes: readonly SchemaChange[];
  readonly renamed: readonly RenamedField[];
}

/** The variant a misfit value goes to, by its JSON type: its suffix and column type. */
const variantTypes: Readonly<Record<string, string>> = {
  text: 'VARCHAR',
  bool: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  json: 'JSON',
};

/** The json_type()s a column type takes (the value must also convert); undefined: every value. */
function accepted(type: string): readonly string[] | undefined {
  const t = type.toUpperCase();
  if (t === 'JSON') return undefined;
  if (t === 'BOOLEAN') return ['BOOLEAN'];
  if (/INT/.test(t)) return ['BIGINT', 'UBIGINT'];
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL)/.test(t)) return ['BIGINT', 'UBIGINT', 'DOUBLE'];
  return ['VARCHAR'];
}

/** The JSON value `f` as a `type` (NULL when it does not convert). */
function valueSql(f: string, type: string): string {
  if (type.toUpperCase() === 'JSON') return jsonValueSql(f);
  if (type.toUpperCase() === 'VARCHAR') return `json_extract_string(${f}, '$')`;
  return accepted(type)?.[0] === 'VARCHAR' ? `TRY_CAST(json_extract_string(${f}, '$') AS ${type})` : `TRY_CAST(${f}::VARCHAR AS ${type})`;
}

/** SQL true for an integer a double cannot hold exactly (beyond 2^53). */
const beyondDoubleSql = (f: string): string =>
  `(regexp_full_match(${f}::VARCHAR, '-?[0-9]{16,}') AND abs(TRY_CAST(${f}::VARCHAR AS DOUBLE)) >= 9007199254740992)`;

/** SQL true when the non-null value `f` does not fit a column of `type` (or would lose digits in it). */
function misfitSql(f: string, type: string): string {
  const types = accepted(type);
  if (types === undefined) return 'false';
  const lossy = /^(DOUBLE|FLOAT|REAL)/i.test(type) ? ` OR ${beyondDoubleSql(f)}` : '';
  return `(json_type(${f}) <> 'NULL' AND (NOT coalesce(json_type(${f}) IN (${types.map(sqlString).join(', ')}) AND ${valueSql(f, type)} IS NOT NULL, false)${lossy}))`;
}

/** The variant suffix of the value `f`: integers beyond BIGINT (and objects, arrays) go to the JSON variant, exact. */
function suffixSql(f: string): string {
  return `CASE WHEN json_type(${f}) = 'VARCHAR' THEN 'text' WHEN json_type(${f}) = 'BOOLEAN' THEN 'bool'
    WHEN json_type(${f}) = 'DOUBLE' AND NOT ${beyondDoubleSql(f)} THEN 'double'
    WHEN json_type(${f}) IN ('BIGINT', 'UBIGINT') AND TRY_CAST(${f}::VARCHAR AS BIGINT) IS NOT NULL THEN 'bigint' ELSE 'json' END`;
}

const variantName = (column: string, suffix: string): string => `${column}__v_${suffix}`;

/** The variant suffix of a variant column's type: from the type, as a variant renamed (`nameColumns`) keeps it. */
const suffixOf = (type: string): string => Object.entries(variantTypes).find(([, t]) => t === type)?.[0] ?? 'json';

/** The record field a stored column holds: its name unless the name was taken. */
const keyOf = (column: SchemaColumn): string => column.key ?? column.name;

function planOf(column: SchemaColumn, field: FieldSql, base?: SchemaColumn): ColumnPlan {
  const { name, type } = column;
  const kind = kindOfType(type);
  if (base === undefined) {
    const key = keyOf(column);
    const f = field(key);
    const misfit = misfitSql(f, type);
    const expr = misfit === 'false' ? valueSql(f, type) : `CASE WHEN NOT ${misfit} THEN ${valueSql(f, type)} END`;
    return { name, key, type, kind, expr };
  }
  const f = field(keyOf(base));
  const suffix = suffixOf(type);
  return {
    name,
    type,
    kind,
    expr: `CASE WHEN ${misfitSql(f, base.type)} AND ${suffixSql(f)} = ${sqlString(suffix)} THEN ${valueSql(f, type)} END`,
  };
}

/**
 * The columns of this run's file given the dataset's stored schema (`previous`; undefined on
 * the first run): stored columns keep their name, type and order, misfits go to variant columns
 * (existing or new), fields first seen are typed from the data and appended; `expected`
 * columns (name -> type) are added when absent. A new column whose name is taken (by a lineage
 * column, or by another but for case) gets the first free `<name>__<n>`, its field kept as `key`.
 * One scan finds the misfits' JSON types.
 */
export async function resolveColumns(
  staged: Pick<StagedRecords, 'scan'>,
  table: string,
  shape: RecordShape,
  field: FieldSql,
  previous: readonly SchemaColumn[] | undefined,
  expected: Readonly<Record<string, string>> = {},
): Promise<ResolvedColumns> {
  const stored = previous ?? [];
  const known = new Set(stored.map((c) => c.name));
  const byName = new Map(stored.map((c) => [c.name, c]));
  const present = new Set(shape.keys);
  const bases = stored.filter((c) => c.variantOf === undefined);
  const probed = bases.filter((c) => present.has(keyOf(c)) && accepted(c.type) !== undefined);
  const found = await misfitSuffixes(staged, table, probed, field);
  const variants: SchemaColumn[] = probed.flatMap((c, i) =>
    (found[i] ?? [])
      .map((suffix) => ({ name: variantName(c.name, suffix), type: variantTypes[suffix] ?? 'JSON', variantOf: c.name }))
      .filter((v) => !stored.some((s) => s.variantOf === v.variantOf && s.type === v.type)),
  );
  const fresh = await inferredColumns(staged, table, shape, field, new Set(bases.map(keyOf)));
  const planned = [...stored.map((c) => planOf(c, field, c.variantOf === undefined ? undefined : byName.get(c.variantOf))), ...fresh];
  const variantPlans = variants.map((v) => planOf(v, field, byName.get(v.variantOf ?? '')));
  const held = new Set(planned.flatMap((p) => (p.key === undefined ? [] : [p.key])));
  // Variants as planned, before naming: their position tells which is which once renamed.
  const { plans, renamed } = nameColumns([...planned, ...variantPlans, ...expectedColumns(expected, held)], 'caseless');
  const columns = plans.map(({ name, type, key }, i): SchemaColumn => {
    const variantOf = i < planned.length ? stored[i]?.variantOf : variants[i - planned.length]?.variantOf;
    return { name, type, ...(variantOf === undefined ? {} : { variantOf }), ...(key === undefined || key === name ? {} : { key }) };
  });
  // The first run records its schema; it changes nothing.
  const changes: SchemaChange[] = (previous === undefined ? [] : columns.filter((c) => !known.has(c.name))).map(
    ({ name, type, variantOf }) =>
      variantOf === undefined ? { column: name, type, change: 'added' } : { column: name, type, change: 'variant', variantOf },
  );
  return { plans, columns, changes, renamed };
}

/** For each column: the variant suffixes of its values that do not fit it (one scan for all). */
async function misfitSuffixes(
  staged: Pick<StagedRecords, 'scan'>,
  table: string,
  columns: readonly SchemaColumn[],
  field: FieldSql,
): Promise<string[][]> {
  if (columns.length === 0) return [];
  const lists = columns.map((c) => `list(DISTINCT ${suffixSql(field(keyOf(c)))}) FILTER (WHERE ${misfitSql(field(keyOf(c)), c.type)})`);
  const row = (await staged.scan(`SELECT ${lists.join(', ')} FROM ${table}`))[0] ?? [];
  return columns.map((_, i) => {
    const list = row[i] as { items?: unknown[] } | unknown[] | null | undefined;
    const items = Array.isArray(list) ? list : (list?.items ?? []);
    return items.map(String).sort();
  });
}

/**
 * The stored schema with this run's columns added: a run that wrote the store meanwhile keeps
 * its types; columns it does not have are appended.
 */
export function mergeSchemas(stored: readonly SchemaColumn[], ours: readonly SchemaColumn[]): SchemaColumn[] {
  const names = new Set(stored.map((c) => c.name));
  return [...stored, ...ours.filter((c) => !names.has(c.name))];
}

/** Parses a stored schema's JSON text (`{ "columns": [...] }`); throws a clear error when it is not one. */
export function parseDatasetSchema(text: string, where: string): SchemaColumn[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new IngestError(`the schema at ${where} is not JSON`);
  }
  const columns = (value as { columns?: unknown } | null)?.columns;
  const valid = (c: unknown): c is SchemaColumn => {
    const col = c as Partial<SchemaColumn> | null;
    const optional = (v: unknown): boolean => v === undefined || typeof v === 'string';
    return typeof col?.name === 'string' && typeof col.type === 'string' && optional(col.variantOf) && optional(col.key);
  };
  if (!Array.isArray(columns) || !columns.every(valid)) throw new IngestError(`the schema at ${where} has no valid "columns" list`);
  return columns.map(({ name, type, variantOf, key }) => ({
    name,
    type,
    ...(variantOf === undefined ? {} : { variantOf }),
    ...(key === undefined ? {} : { key }),
  }));
}
