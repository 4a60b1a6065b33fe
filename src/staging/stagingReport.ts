import { DuckDBMapValue, type DuckDBConnection } from '@duckdb/node-api';
import { cleanColumns, customerCleanSchema, type CleanPlan, type FieldRule } from '../output/cleanColumns.js';
import { createFieldsView, type FieldSql } from '../output/recordFields.js';
import { sqlString } from '../output/sqlText.js';
import type { StagingStore } from './StagingStore.js';
import { uniqueRecords } from './uniqueRecords.js';

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
    readonly unkeyed: number;
    readonly rejectedByRules: number;
  };
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

const num = (v: unknown): number => Number(v ?? 0);

/**
 * Data-quality and progress numbers from the staging tables, as plain objects: records
 * received / unique / duplicates / unkeyed, pages and attempts, and per column nulls, JSON
 * types and values that break the cleaning rules.
 */
export function stagingReport(
  store: StagingStore,
  rules: Readonly<Record<string, FieldRule>> = customerCleanSchema,
  keyField = 'id',
): Promise<StagingReport> {
  return store.withConnection('build the staging report', async (conn) => {
    try {
      const { duplicates, shape } = await uniqueRecords(store, conn);
      const names = [...Object.keys(rules), ...shape.keys.filter((k) => !(k in rules))];
      const field = await createFieldsView(conn, '_fields', '_unique', names);
      const plans = await cleanColumns(conn, '_fields', rules, keyField, shape, field);
      const { rejectedByRules, columns } = await columnQuality(conn, rules, names, plans, field);
      return {
        runId: store.runId,
        records: { ...(await recordCounts(conn, store.runId, duplicates)), rejectedByRules },
        pages: await pageStats(conn, store.runId),
        columns,
      };
    } finally {
      await conn.run('DROP VIEW IF EXISTS temp._fields').catch(() => undefined);
    }
  });
}

async function recordCounts(
  conn: DuckDBConnection,
  runId: string,
  duplicates: number,
): Promise<Omit<StagingReport['records'], 'rejectedByRules'>> {
  const reader = await conn.runAndReadAll(`SELECT count(*), count(key) FROM raw_records WHERE run_id = ${sqlString(runId)}`);
  const [received, keyed] = (reader.getRows()[0] ?? []).map(num) as [number, number];
  return { received, unique: keyed - duplicates, duplicates, unkeyed: received - keyed };
}

async function pageStats(conn: DuckDBConnection, runId: string): Promise<StagingReport['pages']> {
  const where = `WHERE run_id = ${sqlString(runId)}`;
  const summary = await conn.runAndReadAll(
    `SELECT count(*), coalesce(sum(attempts), 0), quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.95), max(latency_ms), count_if(records = 0) FROM pages ${where}`,
  );
  const row = summary.getRows()[0] ?? [];
  const maybe = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  const histogram = await conn.runAndReadAll(`SELECT attempts, count(*) FROM pages ${where} GROUP BY attempts ORDER BY attempts`);
  const retried = await conn.runAndReadAll(`SELECT page, attempts FROM pages ${where} AND attempts > 1 ORDER BY page`);
  return {
    count: num(row[0]),
    attempts: num(row[1]),
    attemptsHistogram: Object.fromEntries(histogram.getRows().map(([a, n]) => [String(a), num(n)])),
    retried: retried.getRows().map(([page, attempts]) => ({ page: num(page), attempts: num(attempts) })),
    latencyMs: { p50: maybe(row[2]), p95: maybe(row[3]), max: maybe(row[4]) },
    emptyPages: num(row[5]),
  };
}

/**
 * Every column's figures and the count of rule breakers in ONE scan of the unique records
 * (instead of two per column): a projection computes each field's JSON type, text and rule
 * check once per record, the aggregates above it share them; JSON types are counted with
 * `histogram`.
 */
async function columnQuality(
  conn: DuckDBConnection,
  rules: Readonly<Record<string, FieldRule>>,
  names: readonly string[],
  plans: readonly CleanPlan[],
  field: FieldSql,
): Promise<{ rejectedByRules: number; columns: ColumnQuality[] }> {
  const byName = new Map(plans.map((p) => [p.name, p]));
  const projections: string[] = [];
  const aggregates: string[] = [];
  names.forEach((name, i) => {
    const f = field(name);
    const invalid = byName.get(name)?.invalid;
    projections.push(`json_type(${f}) AS t${i}`, `json_extract_string(${f}, '$') AS s${i}`);
    if (invalid !== undefined) projections.push(`coalesce(${invalid}, false) AS b${i}`);
    aggregates.push(
      `count(t${i}) AS present${i}`,
      `count_if(coalesce(t${i}, 'NULL') = 'NULL') AS nulls${i}`,
      `count_if(t${i} = 'VARCHAR' AND s${i} <> trim(s${i}, E' \\t\\n\\r')) AS untrimmed${i}`,
      invalid === undefined ? `NULL AS bad${i}` : `count_if(b${i}) AS bad${i}`,
      `histogram(t${i}) AS types${i}`,
    );
  });
  // Every rule check belongs to a named column (rules and seen keys cover all plans).
  const checked = names.flatMap((name, i) => (byName.get(name)?.invalid === undefined ? [] : [`b${i}`]));
  projections.push(`${checked.length === 0 ? 'false' : checked.join(' OR ')} AS _rejected`);
  aggregates.push('count_if(_rejected) AS rejected');
  const reader = await conn.runAndReadAll(`SELECT ${aggregates.join(', ')} FROM (SELECT ${projections.join(', ')} FROM _fields)`);
  const row = reader.getRowObjects()[0] ?? {};
  const columns = names.map((name, i): ColumnQuality => {
    const bad = row[`bad${i}`];
    return {
      name,
      present: num(row[`present${i}`]),
      nulls: num(row[`nulls${i}`]),
      types: typeCounts(row[`types${i}`]),
      untrimmed: num(row[`untrimmed${i}`]),
      invalid: bad === null || bad === undefined ? null : num(bad),
      rule: rules[name] ?? null,
    };
  });
  return { rejectedByRules: num(row['rejected']), columns };
}

/** A DuckDB MAP(VARCHAR, UBIGINT) from `histogram` as a sorted plain object. */
function typeCounts(value: unknown): Record<string, number> {
  if (!(value instanceof DuckDBMapValue)) return {};
  const entries = value.entries.map(({ key, value: n }) => [String(key), num(n)] as const);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
