/** The cleaning rules (ETL): what each field must be, as SQL over the staged records' fields. */
import type { DeclaredField, FieldRule } from '../config/sourceSpec.js';
import type { FieldSql, RecordShape } from '../staging/recordFields.js';
import type { ColumnPlan } from './columnPlan.js';
import { columnsPerScan, inferredColumns, jsonValueSql, perShape, scanFields, type FieldScan } from './columnPlan.js';
import { NUMERIC, numberDigitsAt, numberDigitsSql } from './numberDigits.js';

/** A cleaned column plus the row-level check that sends a row to the rejects. */
export interface CleanPlan extends ColumnPlan {
  /**
   * SQL that is true when the value is invalid, given SQL for the value: `expr`, or a column that
   * holds it (computed once, the check and the file read it). Undefined when any value is acceptable.
   */
  readonly invalid?: (value: string) => string;
  readonly reason?: string;
}

const WS = `E' \\t\\n\\r'`;

/** SQL for text without the white space cleaning trims (space, tab, newline, carriage return). */
export const trimmedSql = (text: string): string => `trim(${text}, ${WS})`;
const MAX_SCALE = 18;

/**
 * Date formats the API is known to send, tried in order after ISO-8601 (with or without a
 * time and offset): YYYY/MM/DD, MM/DD/YYYY (US), DD.MM.YYYY, DD-MM-YYYY, RFC 2822 (GMT).
 * Bare numbers are epoch seconds (milliseconds from 1e11 up).
 */
const dateFormats = ['%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%m/%d/%Y', '%d.%m.%Y', '%d-%m-%Y', '%a, %d %b %Y %H:%M:%S GMT'];

function timestampExpr(x: string, jt: string): string {
  const epoch = `TRY_CAST(${x} AS DOUBLE)`;
  // One try_strptime over the list (the first format that parses wins): a call per format made this the costliest rule to plan.
  const parsed = [
    `TRY_CAST(TRY_CAST(${x} AS TIMESTAMPTZ) AS TIMESTAMP)`,
    `try_strptime(${x}, [${dateFormats.map((f) => `'${f}'`).join(', ')}])`,
  ];
  return `CASE
    WHEN ${jt} IN ('UBIGINT', 'BIGINT', 'DOUBLE') OR regexp_full_match(${x}, '-?[0-9]{1,13}(\\.[0-9]+)?')
      THEN CASE WHEN abs(${epoch}) < 1e14 THEN make_timestamp(CAST(CASE WHEN abs(${epoch}) >= 1e11 THEN ${epoch} * 1000 ELSE ${epoch} * 1000000 END AS BIGINT)) END
    ELSE coalesce(${parsed.join(', ')})
  END`;
}

/** What `numberTypes` found per field, per shape (`perShape`). */
const decimalsByShape = new WeakMap<RecordShape, Map<string, string>>();

/**
 * Per field of `names`, the DECIMAL that holds every numeric value exactly: as many fraction
 * digits as any value has, and 18 digits in all when they fit (DuckDB casts text to an 18-digit
 * decimal ~4x faster than to a 38-digit one, whose 128-bit arithmetic made this the costliest
 * expression of a clean write and of the report's column checks); exponents take 38. One scan
 * per `columnsPerScan` fields not yet known for `shape`.
 */
function numberTypes(staged: FieldScan, names: readonly string[], shape: RecordShape): Promise<ReadonlyMap<string, string>> {
  return perShape(decimalsByShape, shape, names, async (unknown) => {
    const found = new Map<string, string>();
    for (let start = 0; start < unknown.length; start += columnsPerScan) {
      const batch = unknown.slice(start, start + columnsPerScan);
      const [row = []] = await scanFields(staged, batch, (view, field) => {
        // Each text trimmed once and matched once, as columns the aggregates read.
        const texts = batch.map((name, i) => `${fieldText(field, name).x} AS x${i}`);
        const matched = batch.map((_, i) => `x${i}, regexp_full_match(x${i}, ${NUMERIC}) AS m${i}`);
        const digits = batch.map((_, i) => numberDigitsSql(`x${i}`, `m${i}`));
        return staged.scan(
          `SELECT ${digits.join(', ')} FROM (SELECT ${matched.join(', ')} FROM (SELECT ${texts.join(', ')} FROM ${view}))`,
        );
      });
      batch.forEach((name, i) => {
        const { fraction, integer, exponent } = numberDigitsAt(row, i);
        const scale = Math.min(MAX_SCALE, fraction);
        found.set(name, `DECIMAL(${!exponent && integer + scale <= 18 ? 18 : 38}, ${scale})`);
      });
    }
    return found;
  });
}

/**
 * A field as the rules (and a stored schema's fit checks) read it: its JSON value `f`, JSON type
 * `jt`, text `s` and trimmed text `x`. From the lists of the fields' view by default
 * (`fieldText`); a query that computes them once below its rules passes their columns instead
 * (each rule repeats the trimming, and DuckDB plans every repetition).
 */
export interface FieldText {
  readonly f: string;
  readonly jt: string;
  readonly s: string;
  readonly x: string;
}

/** The field `name` as the rules read it, from its view's lists (FieldSql): one parse of the record for all fields. */
export function fieldText(field: FieldSql, name: string): FieldText {
  const s = field.text(name);
  return { f: field(name), jt: field.type(name), s, x: trimmedSql(s) };
}

/** The plan of the field `name` under `rule`; a `number` rule's type is `decimal` (numberTypes). */
function rulePlan(name: string, rule: FieldRule, keyField: string, { f, jt, s, x }: FieldText, decimal: string | undefined): CleanPlan {
  switch (rule) {
    case 'text':
      return { name, expr: x, type: 'VARCHAR', kind: 'text' };
    case 'email': {
      const expr = `lower(${x})`;
      return {
        name,
        expr,
        type: 'VARCHAR',
        kind: 'text',
        invalid: (v) => `${s} IS NOT NULL AND NOT regexp_full_match(${v}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+')`,
        reason: `invalid ${name}`,
      };
    }
    case 'integer': {
      const expr = `CASE WHEN ${jt} IN ('UBIGINT', 'BIGINT', 'VARCHAR') AND regexp_full_match(${x}, '-?[0-9]+') THEN TRY_CAST(${x} AS BIGINT) END`;
      return {
        name,
        expr,
        type: 'BIGINT',
        kind: 'number',
        invalid: (v) => (name === keyField ? `${v} IS NULL` : `${s} IS NOT NULL AND ${v} IS NULL`),
        reason: name === keyField ? `missing or invalid ${name}` : `invalid integer ${name}`,
      };
    }
    case 'number': {
      const type = decimal!;
      const expr = `CASE WHEN ${jt} IN ('UBIGINT', 'BIGINT', 'DOUBLE', 'VARCHAR') AND regexp_full_match(${x}, ${NUMERIC}) THEN TRY_CAST(${x} AS ${type}) END`;
      return { name, expr, type, kind: 'number', invalid: (v) => `${s} IS NOT NULL AND ${v} IS NULL`, reason: `non-numeric ${name}` };
    }
    case 'boolean': {
      const l = `lower(${x})`;
      const expr = `CASE WHEN ${jt} = 'BOOLEAN' THEN ${s} = 'true' WHEN ${l} IN ('true', 't', 'yes', 'y', '1') THEN true WHEN ${l} IN ('false', 'f', 'no', 'n', '0') THEN false END`;
      return {
        name,
        expr,
        type: 'BOOLEAN',
        kind: 'boolean',
        invalid: (v) => `${s} IS NOT NULL AND (${v}) IS NULL`,
        reason: `invalid boolean ${name}`,
      };
    }
    case 'date':
    case 'timestamp': {
      const ts = timestampExpr(x, jt);
      const expr = rule === 'date' ? `CAST(${ts} AS DATE)` : ts;
      return {
        name,
        expr,
        type: rule === 'date' ? 'DATE' : 'TIMESTAMP',
        kind: rule,
        invalid: (v) => `${s} IS NOT NULL AND (${v}) IS NULL`,
        reason: `unparseable ${name}`,
      };
    }
    case 'json':
      return { name, expr: jsonValueSql(f), type: 'JSON', kind: 'json', text: s };
  }
}

/** A required field's plan: its rule's check, and missing or null is invalid too. */
function requiring(plan: CleanPlan, text: FieldText): CleanPlan {
  const missing = `${text.s} IS NULL`;
  const { invalid } = plan;
  return { ...plan, invalid: (v) => (invalid ? `(${missing}) OR (${invalid(v)})` : missing), reason: `missing or invalid ${plan.name}` };
}

/**
 * Cleaned columns (ETL): every declared field (in its order; a required one missing or null
 * sends the record to the rejects), then any other field the records carry, inferred as in ELT
 * with text trimmed.
 */
export async function cleanColumns(
  staged: FieldScan,
  schema: Readonly<Record<string, DeclaredField>>,
  keyField: string,
  shape: RecordShape,
  field: FieldSql,
): Promise<CleanPlan[]> {
  const plans = await ruleColumns(staged, schema, keyField, shape, (name) => fieldText(field, name));
  const extras = await inferredColumns(staged, shape, field, new Set(Object.keys(schema)));
  for (const plan of extras) plans.push(plan.kind === 'text' ? { ...plan, expr: trimmedSql(plan.expr) } : plan);
  return plans;
}

/** The declared fields' columns, in the schema's order, each field read as `text` gives it: the only columns with checks. */
export async function ruleColumns(
  staged: FieldScan,
  schema: Readonly<Record<string, DeclaredField>>,
  keyField: string,
  shape: RecordShape,
  text: (name: string) => FieldText,
): Promise<CleanPlan[]> {
  const fields = Object.entries(schema);
  const decimals = await numberTypes(
    staged,
    fields.flatMap(([name, { type }]) => (type === 'number' ? [name] : [])),
    shape,
  );
  return fields.map(([name, { type, required }]) => {
    const plan = { ...rulePlan(name, type, keyField, text(name), decimals.get(name)), key: name };
    return required ? requiring(plan, text(name)) : plan;
  });
}
