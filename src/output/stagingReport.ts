/**
 * The report's figures over the staged records (counts, pages, per-column quality): output's,
 * because judging values needs the cleaning rules the final file applies.
 */
import type { DeclaredField, FieldRule } from '../config/sourceSpec.js';
import { jsonPath } from '../staging/sqlText.js';
import type { StagedRecords, StagedRecordsSource } from '../staging/stagedRecords.js';
import type { VersionConflicts } from '../staging/uniqueRecords.js';
import type { RecordShape } from '../staging/recordFields.js';
import { ruleColumns, trimmedSql, type FieldText } from './cleanColumns.js';
import { byCodeUnits } from '../runtime/byCodeUnits.js';

export interface ColumnQuality {
  readonly name: string;
  /** Unique records that carry the key (with any value, null included). */
  readonly present: number;
  /** Unique records where it is missing or null. */
  readonly nulls: number;
  /** Count per JSON type seen (VARCHAR, UBIGINT, DOUBLE, OBJECT, ARRAY...). */
  readonly types: Readonly<Record<string, number>>;
  /** Values the cleaning rule rejects (invalid email, unparseable date, non-numeric...), when the field's rule checks them. */
  readonly invalid: number | null;
  readonly rule: FieldRule | null;
}

export interface StagingReport {
  readonly runId: string;
  readonly records: {
    readonly received: number;
    readonly unique: number;
    readonly duplicates: number;
    /** Records without a usable key, refused ones aside. */
    readonly unkeyed: number;
    /** Records staging refused (beyond a limit, or poison). */
    readonly refused: number;
    readonly rejectedByRules: number;
  };
  /** The duplicates that differ from the version kept, and their keys. */
  readonly conflicts: VersionConflicts;
  /** Records that held a configured secret's value: how many, how many were masked before staging, and the fields (never the value). */
  readonly secretsInRecords: SecretsInRecords;
  readonly pages: {
    readonly count: number;
    /** The records the pages held as each arrived (their checkpoint rows'): `records.received` counts the rows staged from them. */
    readonly records: number;
    readonly attempts: number;
    /** pages per attempt count, e.g. { "1": 95, "2": 5 } */
    readonly attemptsHistogram: Readonly<Record<string, number>>;
    readonly retried: readonly { readonly page: number; readonly attempts: number }[];
    readonly latencyMs: { readonly p50: number | null; readonly p95: number | null; readonly max: number | null };
    readonly emptyPages: number;
  };
  readonly columns: readonly ColumnQuality[];
}

export interface SecretsInRecords {
  readonly records: number;
  readonly masked: number;
  /** The paths that held one (`note`, `auth.token`, `items[].key`), the first `secretFieldsNamed` in code-point order. */
  readonly fields: readonly string[];
}

/** Field paths named: enough to find the leak, bounded whatever the records. */
const secretFieldsNamed = 20;

/**
 * What the rules' checks found in the staged records as the final file counted them (its
 * `invalid` and `rejected`): per declared field whose rule checks its values, the records that
 * break it, and the records any rule rejects.
 */
export interface RuleCounts {
  readonly invalid: Readonly<Record<string, number>>;
  readonly rejected: number;
}

const num = (v: unknown): number => Number(v ?? 0);

/**
 * Data-quality and progress numbers from the staging tables, as plain objects: records
 * received / unique / duplicates (conflicting versions among them) / unkeyed / refused, pages and
 * attempts, and per column nulls, JSON types and values that break the cleaning rules (`counted`:
 * as the final file counted them, instead of a scan of the records).
 */
export function stagingReport(
  store: StagedRecordsSource,
  rules: Readonly<Record<string, DeclaredField>> = {},
  keyField = 'id',
  counted?: RuleCounts,
): Promise<StagingReport> {
  return store.readStaged('build the staging report', async (staged) => {
    const { duplicates, conflicts, shape } = await staged.unique();
    const records = await recordCounts(staged, duplicates);
    const { invalid, rejected } = counted
      ? { invalid: new Map(Object.entries(counted.invalid)), rejected: counted.rejected }
      : await ruleChecks(staged, rules, keyField, shape);
    // Own keys only: a field named `constructor` or `toString` is a column like any other.
    const names = [...Object.keys(rules), ...shape.keys.filter((k) => !Object.hasOwn(rules, k))];
    return {
      runId: staged.runId,
      records: { ...records, rejectedByRules: rejected },
      conflicts,
      secretsInRecords: await secretsInRecords(staged),
      pages: await pageStats(staged),
      columns: names.map((name) =>
        columnQuality(
          name,
          shape.types.get(name) ?? {},
          records.unique,
          invalid.get(name),
          Object.hasOwn(rules, name) ? rules[name]?.type : undefined,
        ),
      ),
    };
  });
}

/**
 * A column's figures: its JSON types and nulls from the records' shape (`types`, counted over the
 * `unique` records), and what its rule's check found (undefined: it has no check).
 */
function columnQuality(
  name: string,
  types: Readonly<Record<string, number>>,
  unique: number,
  invalid: number | undefined,
  rule: FieldRule | undefined,
): ColumnQuality {
  const present = Object.values(types).reduce((sum, n) => sum + n, 0);
  return {
    name,
    present,
    nulls: unique - present + (types['NULL'] ?? 0),
    types: sortedKeys(types),
    invalid: invalid ?? null,
    rule: rule ?? null,
  };
}

async function recordCounts(staged: StagedRecords, duplicates: number): Promise<Omit<StagingReport['records'], 'rejectedByRules'>> {
  const rows = await staged.query(`SELECT count(*), count(key), count(refused) FROM ${staged.records}`);
  const [received, keyed, refused] = (rows[0] ?? []).map(num) as [number, number, number];
  return { received, unique: keyed - duplicates, duplicates, unkeyed: received - keyed - refused, refused };
}

async function secretsInRecords(staged: StagedRecords): Promise<SecretsInRecords> {
  const [counts] = await staged.query(`SELECT count(*), count_if(masked) FROM ${staged.secrets}`);
  const [records, masked] = (counts ?? []).map(num) as [number, number];
  if (records === 0) return { records, masked, fields: [] };
  const fields = await staged.query(
    `SELECT DISTINCT unnest(json_extract_string(fields, '$[*]')) AS f FROM ${staged.secrets} ORDER BY f LIMIT ${secretFieldsNamed}`,
  );
  return { records, masked, fields: fields.map(([f]) => String(f)) };
}

async function pageStats(staged: StagedRecords): Promise<StagingReport['pages']> {
  const pages = staged.pages;
  const summary = await staged.query(
    `SELECT count(*), coalesce(sum(attempts), 0), quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.95), max(latency_ms), count_if(records = 0), coalesce(sum(records), 0) FROM ${pages}`,
  );
  const row = summary[0] ?? [];
  const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const histogram = await staged.query(`SELECT attempts, count(*) FROM ${pages} GROUP BY attempts ORDER BY attempts`);
  const retried = await staged.query(`SELECT page, attempts FROM ${pages} WHERE attempts > 1 ORDER BY page`);
  return {
    count: num(row[0]),
    records: num(row[6]),
    attempts: num(row[1]),
    attemptsHistogram: Object.fromEntries(histogram.map(([a, n]) => [String(a), num(n)])),
    retried: retried.map(([page, attempts]) => ({ page: num(page), attempts: num(attempts) })),
    latencyMs: { p50: maybe(row[2]), p95: maybe(row[3]), max: maybe(row[4]) },
    emptyPages: num(row[5]),
  };
}

/**
 * Per declared field whose rule checks its values, the unique records that break it, and the
 * records any rule rejects: one scan of the unique records, on the scan threads, that parses each
 * record once for the fields' text and once for their types. Stacked projections compute a
 * field's type `t`, text `s` and trimmed text `x` once per record, and the rules read those
 * columns: written over the JSON value instead, every rule repeated them, and planning the
 * repetitions cost more than scanning a small run. Fields without a check are not read: their
 * figures are the records' shape's (before, each string field was scanned for white space at its
 * ends, a figure no report showed: 270,000 records, 400-520 ms beside the upload).
 */
async function ruleChecks(
  staged: StagedRecords,
  rules: Readonly<Record<string, DeclaredField>>,
  keyField: string,
  shape: RecordShape,
): Promise<{ invalid: ReadonlyMap<string, number>; rejected: number }> {
  const declared = Object.keys(rules);
  if (declared.length === 0) return { invalid: new Map(), rejected: 0 };
  const field = await staged.fieldsView('_fields', declared);
  try {
    const text = (name: string): FieldText => {
      const i = declared.indexOf(name);
      return { f: field(name), jt: `t${i}`, s: `s${i}`, x: `x${i}` };
    };
    const checked = (await ruleColumns(staged, rules, keyField, shape, text)).flatMap((plan, i) =>
      plan.invalid === undefined ? [] : [{ name: plan.name, i, invalid: `coalesce(${plan.invalid(plan.expr)}, false)` }],
    );
    if (checked.length === 0) return { invalid: new Map(), rejected: 0 };
    const paths = `[${checked.map(({ name }) => jsonPath(name)).join(', ')}]`;
    const parsed = `SELECT json_type(record, ${paths}) AS _t, json_extract_string(record, ${paths}) AS _s FROM _fields`;
    const typed = checked.map(({ i }, p) => `_t[${p + 1}] AS t${i}, _s[${p + 1}] AS s${i}`);
    const trimmed = checked.map(({ i }) => `t${i}, s${i}, ${trimmedSql(`s${i}`)} AS x${i}`);
    const from = `(SELECT ${trimmed.join(', ')} FROM (SELECT ${typed.join(', ')} FROM (${parsed})))`;
    const counts = [...checked.map(({ invalid }) => `count_if(${invalid})`), `count_if(${checked.map((c) => c.invalid).join(' OR ')})`];
    const row = (await staged.scan(`SELECT ${counts.join(', ')} FROM ${from}`))[0] ?? [];
    return { invalid: new Map(checked.map(({ name }, p) => [name, num(row[p])])), rejected: num(row[checked.length]) };
  } finally {
    await staged.run('DROP VIEW IF EXISTS temp._fields').catch(() => undefined);
  }
}

/** `counts` with its keys in code-unit order. */
function sortedKeys(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => byCodeUnits(a, b)));
}
