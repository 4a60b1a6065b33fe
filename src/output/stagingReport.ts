/**
 * The report's figures over the staged records (counts, pages, per-column quality): output's,
 * because judging values needs the cleaning rules the final file applies.
 */
import type { DeclaredField, FieldRule } from '../config/sourceSpec.js';
import { jsonPath } from '../staging/sqlText.js';
import type { StagedRecords, StagedRecordsSource } from '../staging/stagedRecords.js';
import type { VersionConflicts } from '../staging/uniqueRecords.js';
import type { RecordShape } from '../staging/recordFields.js';
import { cleanColumns, trimmedSql, type CleanPlan, type FieldText } from './cleanColumns.js';
import { columnsPerScan } from './columnPlan.js';

export interface ColumnQuality {
  readonly name: string;
  /** Unique records that carry the key (with any value, null included). */
  readonly present: number;
  /** Unique records where it is missing or null. */
  readonly nulls: number;
  /** Count per JSON type seen (VARCHAR, UBIGINT, DOUBLE, OBJECT, ARRAY...). */
  readonly types: Readonly<Record<string, number>>;
  /** Strings with leading or trailing white space. */
  readonly untrimmed: number;
  /** Values the cleaning rule rejects (invalid email, unparseable date, non-numeric...), when the field has a rule. */
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

const num = (v: unknown): number => Number(v ?? 0);

/**
 * Data-quality and progress numbers from the staging tables, as plain objects: records
 * received / unique / duplicates (conflicting versions among them) / unkeyed / refused, pages and attempts, and per column nulls, JSON
 * types and values that break the cleaning rules.
 */
export function stagingReport(
  store: StagedRecordsSource,
  rules: Readonly<Record<string, DeclaredField>> = {},
  keyField = 'id',
): Promise<StagingReport> {
  return store.readStaged('build the staging report', async (staged) => {
    try {
      const { duplicates, conflicts, shape } = await staged.unique();
      const names = [...Object.keys(rules), ...shape.keys.filter((k) => !(k in rules))];
      const field = await staged.fieldsView('_fields', names);
      // The rules read each field's type and text from the columns columnQuality computes once below them.
      const index = new Map(names.map((name, i) => [name, i]));
      const text = (name: string): FieldText => {
        const i = index.get(name);
        return { f: field(name), jt: `t${i}`, s: `s${i}`, x: `x${i}` };
      };
      const plans = await cleanColumns(staged, rules, keyField, shape, field, text);
      const { rejectedByRules, columns } = await columnQuality(staged, rules, names, plans, shape.types);
      return {
        runId: staged.runId,
        records: { ...(await recordCounts(staged, duplicates)), rejectedByRules },
        conflicts,
        secretsInRecords: await secretsInRecords(staged),
        pages: await pageStats(staged),
        columns,
      };
    } finally {
      await staged.run('DROP VIEW IF EXISTS temp._fields').catch(() => undefined);
    }
  });
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
    `SELECT count(*), coalesce(sum(attempts), 0), quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.95), max(latency_ms), count_if(records = 0) FROM ${pages}`,
  );
  const row = summary[0] ?? [];
  const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const histogram = await staged.query(`SELECT attempts, count(*) FROM ${pages} GROUP BY attempts ORDER BY attempts`);
  const retried = await staged.query(`SELECT page, attempts FROM ${pages} WHERE attempts > 1 ORDER BY page`);
  return {
    count: num(row[0]),
    attempts: num(row[1]),
    attemptsHistogram: Object.fromEntries(histogram.map(([a, n]) => [String(a), num(n)])),
    retried: retried.map(([page, attempts]) => ({ page: num(page), attempts: num(attempts) })),
    latencyMs: { p50: maybe(row[2]), p95: maybe(row[3]), max: maybe(row[4]) },
    emptyPages: num(row[5]),
  };
}

/**
 * Every column's figures and the count of rule breakers: per field its JSON types (absent fields
 * aside) from the records' shape (`types`), and from one scan of the unique records per
 * `columnsPerScan` fields (usually one) the untrimmed strings and the values its rule rejects,
 * and the records any rule rejects: one row of state, whatever the records. On the scan threads:
 * each parses a record once for the fields' text, and a ruled field's type a second time, so two
 * fit in the default 64 MB (1.2M records: 4.8 → 2.8 s on two with both parses; four ran out of
 * it). Stacked projections compute a field's text `s` and, for a ruled field, its type `t` and
 * trimmed text `x` once per record, and the rules read those columns: written over the JSON value
 * instead, every rule repeated them, and planning the repetitions cost more than scanning a small
 * run. An unruled field looks only at its strings' ends (only a string's text can start or end
 * with white space), so a run without rules parses each record once here (96k hostile records:
 * 512 → 239 ms on two threads).
 */
async function columnQuality(
  staged: Pick<StagedRecords, 'scan'>,
  rules: Readonly<Record<string, DeclaredField>>,
  names: readonly string[],
  plans: readonly CleanPlan[],
  types: RecordShape['types'],
): Promise<{ rejectedByRules: number; columns: ColumnQuality[] }> {
  const byName = new Map(plans.map((p) => [p.name, p]));
  const columns = names.map((name) => ({ name, types: types.get(name) ?? {}, untrimmed: 0, invalid: 0 }));
  // The ruled fields come first in `names`: every batch carries them (a record is rejected by any
  // of them), the first batch alone counts them.
  const unruled = names.findIndex((name) => !(name in rules));
  const first = unruled === -1 ? names.length : unruled;
  const ruled = [...names.keys()].slice(0, first);
  // Only a string's text can start or end with white space: an unruled field that never holds one
  // is not read (270k flaky records hold 8 such fields of 13: their scan took 100 ms, not 200).
  const strings = [...names.keys()].slice(first).filter((i) => columns[i]!.types['VARCHAR'] !== undefined);
  let records = 0;
  let rejectedByRules = 0;
  for (let start = 0, batch = 0; batch === 0 || start < strings.length; start += columnsPerScan, batch++) {
    const indices = [...ruled, ...strings.slice(start, start + columnsPerScan)];
    const counts = await qualityCounts(staged, names, indices, byName);
    indices.forEach((i, p) => {
      if (batch > 0 && i < first) return;
      const column = columns[i]!;
      const { untrimmed, invalid } = counts.fields[p]!;
      column.untrimmed = untrimmed;
      column.invalid = invalid;
    });
    if (batch === 0) [records, rejectedByRules] = [counts.records, counts.rejected];
  }
  return {
    rejectedByRules,
    columns: columns.map(({ name, types, untrimmed, invalid }): ColumnQuality => {
      const present = Object.values(types).reduce((sum, n) => sum + n, 0);
      return {
        name,
        present,
        nulls: records - present + (types['NULL'] ?? 0),
        types: sortedKeys(types),
        untrimmed,
        invalid: byName.get(name)?.invalid === undefined ? null : invalid,
        rule: rules[name]?.type ?? null,
      };
    }),
  };
}

interface FieldCounts {
  readonly untrimmed: number;
  readonly invalid: number;
}

/** The counts of the fields at `indices` of `names` (their aliases keep the index the rules read), the records, and those a rule rejects. */
async function qualityCounts(
  staged: Pick<StagedRecords, 'scan'>,
  names: readonly string[],
  indices: readonly number[],
  byName: ReadonlyMap<string, CleanPlan>,
): Promise<{ fields: FieldCounts[]; records: number; rejected: number }> {
  if (indices.length === 0) {
    const rows = await staged.scan('SELECT count(*) FROM _fields');
    return { fields: [], records: num(rows[0]?.[0]), rejected: 0 };
  }
  const invalidOf = (i: number): string | undefined => {
    const plan = byName.get(names[i]!);
    return plan?.invalid?.(plan.expr);
  };
  // The fields' text from one parse of the record (a list of paths), the ruled fields' types from a second.
  const ruled = indices.filter((i) => invalidOf(i) !== undefined);
  const listOf = (of: readonly number[]): string => `[${of.map((i) => jsonPath(names[i]!)).join(', ')}]`;
  const typed = indices.map((i, p) => {
    const r = ruled.indexOf(i);
    return `${r < 0 ? '' : `_t[${r + 1}] AS t${i}, `}_s[${p + 1}] AS s${i}`;
  });
  const trimmed = indices.map((i) => (invalidOf(i) === undefined ? `s${i}` : `t${i}, s${i}, ${trimmedSql(`s${i}`)} AS x${i}`));
  const invalids = ruled.map((i) => `coalesce(${invalidOf(i)!}, false)`);
  const counts = indices.map((i) => {
    const invalid = invalidOf(i);
    // Unruled, the ends alone tell (a third of the time of trimming every string).
    return invalid === undefined
      ? `count_if(${endsInSpaceSql(`s${i}`)}), 0`
      : `count_if(t${i} = 'VARCHAR' AND s${i} <> x${i}), count_if(coalesce(${invalid}, false))`;
  });
  const rejected = invalids.length === 0 ? '0' : `count_if(${invalids.join(' OR ')})`;
  const types = ruled.length === 0 ? '' : `json_type(record, ${listOf(ruled)}) AS _t, `;
  const parsed = `SELECT ${types}json_extract_string(record, ${listOf(indices)}) AS _s FROM _fields`;
  const from = `(SELECT ${trimmed.join(', ')} FROM (SELECT ${typed.join(', ')} FROM (${parsed})))`;
  const row = (await staged.scan(`SELECT ${counts.join(', ')}, count(*), ${rejected} FROM ${from}`))[0] ?? [];
  return {
    fields: indices.map((_, p) => ({ untrimmed: num(row[2 * p]), invalid: num(row[2 * p + 1]) })),
    records: num(row[2 * indices.length]),
    rejected: num(row[2 * indices.length + 1]),
  };
}

/**
 * Whether the text `s` starts or ends with white space: exactly when it differs from `trimmedSql(s)`.
 * The end is compared byte-wise (`right` counts characters from the start): 1M records, 13
 * columns, on two threads: 1.6-1.9 → 1.3-1.4 s.
 */
const endsInSpaceSql = (s: string): string =>
  `(ascii(${s}) IN (9, 10, 13, 32) OR ${[9, 10, 13, 32].map((c) => `ends_with(${s}, chr(${c}))`).join(' OR ')})`;

/** `counts` with its keys in code-point order. */
function sortedKeys(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
