/** Columns inferred from the staged records (ELT), expected and lineage columns: what each is and its SQL. */
import type { FieldSql, RecordShape } from '../staging/recordFields.js';
import type { StagedRecords } from '../staging/stagedRecords.js';
import { longNumberChars } from '../staging/scanRecords.js';
import { sqlIdent } from '../staging/sqlText.js';
import { numberDigitsAt, numberDigitsSql } from './numberDigits.js';

/**
 * How a column is rendered per format: `json` (objects, arrays, mixed types) is raw JSON in the
 * JSON formats and its text in Parquet and CSV (a string without its quotes, an object as JSON
 * text), so its type never follows the data; `text` is subject to CSV formula escaping;
 * `date`/`timestamp` become ISO-8601 text in text formats.
 */
export type ColumnKind = 'text' | 'json' | 'number' | 'boolean' | 'date' | 'timestamp';

export interface ColumnPlan {
  /** The column's name in the file (see `nameColumns`). */
  readonly name: string;
  /** The record's top-level field the column holds, when it holds one (not a lineage or variant column). */
  readonly key?: string;
  /** SQL over a row of the unique-records table (`record` JSON, `page`, `seq`, `fetched_at`...). */
  readonly expr: string;
  /** The DuckDB type of `expr`. */
  readonly type: string;
  readonly kind: ColumnKind;
  /**
   * A `json` column's text, as Parquet and CSV write it (`FieldSql.text`): read with the other
   * fields' texts, where writing `expr` as text parses the record once more for its JSON, and
   * that value twice more (its type, its text).
   */
  readonly text?: string;
}

type Structure = string | readonly Structure[] | { readonly [key: string]: Structure };

/** The raw JSON of a field (`field` from a FieldSql), with a JSON null as SQL NULL (an empty cell, not the text "null"). */
export const jsonValueSql = (field: string): string => `CASE WHEN json_type(${field}) <> 'NULL' THEN ${field} END`;

const scalarKinds: Record<string, { type: string; kind: ColumnKind; cast: string }> = {
  VARCHAR: { type: 'VARCHAR', kind: 'text', cast: '' },
  NULL: { type: 'VARCHAR', kind: 'text', cast: '' },
  BOOLEAN: { type: 'BOOLEAN', kind: 'boolean', cast: '::BOOLEAN' },
  UBIGINT: { type: 'UBIGINT', kind: 'number', cast: '::UBIGINT' },
  BIGINT: { type: 'BIGINT', kind: 'number', cast: '::BIGINT' },
  DOUBLE: { type: 'DOUBLE', kind: 'number', cast: '::DOUBLE' },
};

/**
 * Typed columns inferred from the records themselves (ELT): one per top-level key, in
 * first-seen order. Mixed-type fields stay raw JSON; doubles that carry integers beyond 2^53
 * become DECIMAL(38, s) (or exact text when even that cannot hold them): no digit is lost.
 */
export async function inferredColumns(
  staged: FieldScan,
  shape: RecordShape,
  field: FieldSql,
  skip: ReadonlySet<string> = new Set(),
): Promise<ColumnPlan[]> {
  const structure = shape.structure as Structure | undefined;
  if (structure === undefined || typeof structure !== 'object' || Array.isArray(structure)) return [];
  const plans: ColumnPlan[] = [];
  const doubles: string[] = [];
  const order = new Map(shape.keys.map((k, i) => [k, i]));
  const entries = Object.entries(structure as Record<string, Structure>).sort(
    ([a], [b]) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity),
  );
  for (const [name, shape] of entries) {
    if (skip.has(name)) continue;
    const f = field(name);
    const scalar = typeof shape === 'string' ? scalarKinds[shape] : undefined;
    if (scalar === undefined) {
      plans.push({ name, key: name, expr: jsonValueSql(f), type: 'JSON', kind: 'json', text: field.text(name) });
      continue;
    }
    if (shape === 'DOUBLE') doubles.push(name);
    // The texts of every field come from one parse of the record (FieldSql), not one per field.
    plans.push({ name, key: name, expr: `${field.text(name)}${scalar.cast}`, type: scalar.type, kind: scalar.kind });
  }
  if (doubles.length === 0) return plans;
  const exact = await exactNumberTypes(staged, doubles, shape);
  return plans.map((plan) => {
    const type = exact.get(plan.name);
    if (type === undefined) return plan;
    // A number's text is its literal, digit for digit (DuckDB keeps integers beyond 64 bits raw).
    const raw = field.text(plan.name);
    return type === 'VARCHAR' ? { ...plan, expr: raw, type, kind: 'text' } : { ...plan, expr: `${raw}::${type}`, type };
  });
}

/** What the probes of the fields' values use of the staged records. */
export type FieldScan = Pick<StagedRecords, 'scan' | 'fieldsView' | 'run' | 'query' | 'pages'>;

/**
 * Fields one scan reads at once: each costs a few projected vectors a thread, and 2,000 fields in
 * one scan ran past a 256 MB memory limit (records with many distinct keys).
 */
export const columnsPerScan = 200;

/** The temp view `scanFields` makes. */
const fieldsScanned = '_scanned';

/**
 * Runs `work` over a temp view of the fields `names` alone (`fieldsView`), dropped afterwards: a
 * probe of a few fields parses each record into those only, where a view of every field builds
 * them all (270k flaky records: 330 → 130 ms for one field of 13).
 */
export async function scanFields<T>(
  staged: FieldScan,
  names: readonly string[],
  work: (view: string, field: FieldSql) => Promise<T>,
): Promise<T> {
  const field = await staged.fieldsView(fieldsScanned, names);
  try {
    return await work(fieldsScanned, field);
  } finally {
    await staged.run(`DROP VIEW IF EXISTS temp.${fieldsScanned}`);
  }
}

/**
 * What `find` says of each of `names` for the records `shape` describes, remembered in `cache`:
 * the final file and the report ask about the same fields of the same records, and a shape is
 * replaced once another page is staged. `find` is asked only about the names not yet known.
 */
export async function perShape<T>(
  cache: WeakMap<RecordShape, Map<string, T>>,
  shape: RecordShape,
  names: readonly string[],
  find: (unknown: readonly string[]) => Promise<ReadonlyMap<string, T>>,
): Promise<ReadonlyMap<string, T>> {
  const known = cache.get(shape) ?? new Map<string, T>();
  cache.set(shape, known);
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) for (const [name, value] of await find(unknown)) known.set(name, value);
  return known;
}

/** What `exactNumberTypes` found per field (undefined: a plain DOUBLE), per shape (`perShape`). */
const probed = new WeakMap<RecordShape, Map<string, string | undefined>>();

/**
 * For DOUBLE fields holding an integer beyond 2^53: the exact type to use instead. Such a value is
 * 16 digits or more, so the regular expressions run only on texts that long (DuckDB evaluates
 * the rest of an AND on the rows that pass its first term), and the digits are counted only for
 * the fields that have one: a run without them pays one cheap scan, once for the file and the report.
 */
async function exactNumberTypes(staged: FieldScan, names: readonly string[], shape: RecordShape): Promise<Map<string, string>> {
  const known = await perShape(probed, shape, names, async (unknown) =>
    // Staging noted each page's long numbers: where no page may hold one, no field does (calm's 1M records: 0.3 s).
    (await mayHoldLongNumbers(staged)) ? probeNumbers(staged, unknown) : new Map(unknown.map((name) => [name, undefined])),
  );
  return new Map(names.flatMap((name) => (known.get(name) === undefined ? [] : [[name, known.get(name)!] as const])));
}

/** Whether a staged page holds, or may hold (not known), a number of 16 characters or more. */
async function mayHoldLongNumbers(staged: FieldScan): Promise<boolean> {
  const [row] = await staged.query(`SELECT count(*) FILTER (WHERE long_numbers IS NOT FALSE) > 0 FROM ${staged.pages}`);
  return row?.[0] !== false;
}

/** `exactNumberTypes` of `names`, from the records: each name with its type, or undefined for a plain DOUBLE. */
function probeNumbers(staged: FieldScan, names: readonly string[]): Promise<Map<string, string | undefined>> {
  return scanFields(staged, names, async (view, { text }) => {
    const bigRow =
      (
        await staged.scan(
          `SELECT ${names
            .map((name) => {
              const t = text(name);
              // As long as staging's note counts (`longNumberChars`): a page noted without such a number holds no match.
              return `bool_or(length(${t}) >= ${longNumberChars} AND regexp_full_match(${t}, '-?[0-9]{${longNumberChars},}') AND abs(${t}::DOUBLE) >= 9007199254740992)`;
            })
            .join(', ')} FROM ${view}`,
        )
      )[0] ?? [];
    const big = names.filter((_, i) => bigRow[i] === true);
    const result = new Map<string, string | undefined>(names.map((name) => [name, undefined]));
    if (big.length === 0) return result;
    // A DOUBLE field's texts are JSON numbers: NUMERIC's form.
    const probes = big.map((name) => numberDigitsSql(text(name)));
    const row = (await staged.scan(`SELECT ${probes.join(', ')} FROM ${view}`))[0] ?? [];
    big.forEach((name, i) => {
      const { fraction, integer, exponent } = numberDigitsAt(row, i);
      result.set(name, !exponent && integer + fraction <= 38 ? `DECIMAL(38, ${fraction})` : 'VARCHAR');
    });
    return result;
  });
}

/** Columns the caller expects (for an empty dataset, or fields absent from the data: not in `present`): typed NULLs. */
export function expectedColumns(schema: Readonly<Record<string, string>>, present: ReadonlySet<string>): ColumnPlan[] {
  return Object.entries(schema)
    .filter(([name]) => !present.has(name))
    .map(([name, type]) => ({ name, key: name, expr: `NULL::${type}`, type, kind: kindOfType(type) }));
}

export function kindOfType(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (t === 'VARCHAR' || t === 'TEXT') return 'text';
  if (t === 'JSON') return 'json';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (/^(U?(BIG|HUGE|SMALL|TINY)?INT(EGER)?|DOUBLE|FLOAT|REAL|DECIMAL.*)$/.test(t)) return 'number';
  return 'json';
}

/** The lineage columns every output carries: no record field takes their names (`nameColumns`). */
export const lineageColumns: readonly ColumnPlan[] = [
  { name: '_run_id', expr: 'run_id', type: 'VARCHAR', kind: 'text' },
  { name: '_page', expr: 'page', type: 'INTEGER', kind: 'number' },
  { name: '_fetched_at', expr: 'fetched_at', type: 'TIMESTAMP', kind: 'timestamp' },
];

export const columnList = (plans: readonly ColumnPlan[]): string => plans.map((p) => `${p.expr} AS ${sqlIdent(p.name)}`).join(',\n  ');
