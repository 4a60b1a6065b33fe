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
import { fieldText, type FieldText } from './cleanColumns.js';
import { nameColumns } from './columnNames.js';
import { expectedColumns, inferredColumns, jsonValueSql, kindOfType, type ColumnPlan, type FieldScan } from './columnPlan.js';

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

/**
 * The field `v` as a `type` (NULL when it does not convert). Every use but JSON follows a check of
 * its JSON type (`accepted`), so a number's text is its literal, digit for digit.
 */
function valueSql(v: FieldText, type: string): string {
  if (type.toUpperCase() === 'JSON') return jsonValueSql(v.f);
  if (type.toUpperCase() === 'VARCHAR') return v.s;
  return `TRY_CAST(${v.s} AS ${type})`;
}

/** SQL true for an integer a double cannot hold exactly (beyond 2^53). */
const beyondDoubleSql = (v: FieldText): string =>
  `(regexp_full_match(${v.s}, '-?[0-9]{16,}') AND abs(TRY_CAST(${v.s} AS DOUBLE)) >= 9007199254740992)`;

/** SQL true when the non-null value `v` does not fit a column of `type` (or would lose digits in it). */
function misfitSql(v: FieldText, type: string): string {
  const types = accepted(type);
  if (types === undefined) return 'false';
  const lossy = /^(DOUBLE|FLOAT|REAL)/i.test(type) ? ` OR ${beyondDoubleSql(v)}` : '';
  return `(${v.jt} <> 'NULL' AND (NOT coalesce(${v.jt} IN (${types.map(sqlString).join(', ')}) AND ${valueSql(v, type)} IS NOT NULL, false)${lossy}))`;
}

/** The variant suffix of the value `v`: integers beyond BIGINT (and objects, arrays) go to the JSON variant, exact. */
function suffixSql(v: FieldText): string {
  return `CASE WHEN ${v.jt} = 'VARCHAR' THEN 'text' WHEN ${v.jt} = 'BOOLEAN' THEN 'bool'
    WHEN ${v.jt} = 'DOUBLE' AND NOT ${beyondDoubleSql(v)} THEN 'double'
    WHEN ${v.jt} IN ('BIGINT', 'UBIGINT') AND TRY_CAST(${v.s} AS BIGINT) IS NOT NULL THEN 'bigint' ELSE 'json' END`;
}

const variantName = (column: string, suffix: string): string => `${column}__v_${suffix}`;

/** The variant suffix of a variant column's type: from the type, as a variant renamed (`nameColumns`) keeps it. */
const suffixOf = (type: string): string => Object.entries(variantTypes).find(([, t]) => t === type)?.[0] ?? 'json';

/** The record field a stored column holds: its name unless the name was taken. */
const keyOf = (column: SchemaColumn): string => column.key ?? column.name;

function planOf(column: SchemaColumn, field: FieldSql, base?: SchemaColumn): ColumnPlan {
  const { name, type } = column;
  const kind = kindOfType(type);
  const v = fieldText(field, keyOf(base ?? column));
  // Where a value belongs to this column: a stored column takes what fits it, a variant its base's misfits of its kind.
  const misfit = misfitSql(v, base?.type ?? type);
  let belongs: string | undefined;
  if (base !== undefined) belongs = `${misfit} AND ${suffixSql(v)} = ${sqlString(suffixOf(type))}`;
  else if (misfit !== 'false') belongs = `NOT ${misfit}`;
  const only = (sql: string): string => (belongs === undefined ? sql : `CASE WHEN ${belongs} THEN ${sql} END`);
  return {
    name,
    ...(base === undefined ? { key: keyOf(column) } : {}),
    type,
    kind,
    expr: only(valueSql(v, type)),
    ...(type.toUpperCase() === 'JSON' ? { text: only(v.s) } : {}),
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
  staged: FieldScan,
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
  const fresh = await inferredColumns(staged, shape, field, new Set(bases.map(keyOf)));
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
  const lists = columns.map((c) => {
    const v = fieldText(field, keyOf(c));
    return `list(DISTINCT ${suffixSql(v)}) FILTER (WHERE ${misfitSql(v, c.type)})`;
  });
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
