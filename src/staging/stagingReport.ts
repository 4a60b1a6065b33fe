import type { DuckDBConnection } from '@duckdb/node-api';
import { cleanColumns, customerCleanSchema, type FieldRule } from '../output/cleanColumns.js';
import { jsonPath, sqlString } from '../output/sqlText.js';
import type { StagingStore } from './StagingStore.js';

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
  readonly records: { readonly received: number; readonly unique: number; readonly duplicates: number; readonly unkeyed: number; readonly rejectedByRules: number };
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
export function stagingReport(store: StagingStore, rules: Readonly<Record<string, FieldRule>> = customerCleanSchema, keyField = 'id'): Promise<StagingReport> {
  return store.withConnection('build the staging report', async (conn) => {
    await conn.run(`CREATE OR REPLACE TEMP TABLE _report_unique AS
      SELECT page, seq, key, record FROM raw_records WHERE run_id = ${sqlString(store.runId)} AND key IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY key ORDER BY page, seq) = 1`);
    try {
      return {
        runId: store.runId,
        records: await recordCounts(conn, store.runId, rules, keyField),
        pages: await pageStats(conn, store.runId),
        columns: await columnQuality(conn, rules, keyField),
      };
    } finally {
      await conn.run('DROP TABLE IF EXISTS temp._report_unique');
    }
  });
}

async function recordCounts(conn: DuckDBConnection, runId: string, rules: Readonly<Record<string, FieldRule>>, keyField: string): Promise<StagingReport['records']> {
  const reader = await conn.runAndReadAll(
    `SELECT count(*), count(key), count(DISTINCT key) FROM raw_records WHERE run_id = ${sqlString(runId)}`,
  );
  const [received, keyed, unique] = (reader.getRows()[0] ?? []).map(num) as [number, number, number];
  const plans = (await cleanColumns(conn, '_report_unique', rules, keyField)).filter((p) => p.invalid !== undefined);
  let rejectedByRules = 0;
  if (plans.length > 0) {
    const r = await conn.runAndReadAll(`SELECT count(*) FROM _report_unique WHERE ${plans.map((p) => `coalesce(${p.invalid}, false)`).join(' OR ')}`);
    rejectedByRules = num(r.getRows()[0]?.[0]);
  }
  return { received, unique, duplicates: keyed - unique, unkeyed: received - keyed, rejectedByRules };
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

async function columnQuality(conn: DuckDBConnection, rules: Readonly<Record<string, FieldRule>>, keyField: string): Promise<ColumnQuality[]> {
  const keysReader = await conn.runAndReadAll(
    `SELECT k, min(page * 1000000 + seq) AS first FROM (SELECT page, seq, unnest(json_keys(record)) AS k FROM _report_unique) GROUP BY k ORDER BY first`,
  );
  const seen = keysReader.getRows().map(([k]) => String(k));
  const names = [...Object.keys(rules), ...seen.filter((k) => !(k in rules))];
  const plans = new Map((await cleanColumns(conn, '_report_unique', rules, keyField)).map((p) => [p.name, p]));
  const result: ColumnQuality[] = [];
  for (const name of names) {
    const path = jsonPath(name);
    const invalid = plans.get(name)?.invalid;
    const reader = await conn.runAndReadAll(`SELECT
        count_if(json_exists(record, ${path})),
        count_if(coalesce(json_type(record, ${path}), 'NULL') = 'NULL'),
        count_if(json_type(record, ${path}) = 'VARCHAR' AND json_extract_string(record, ${path}) <> trim(json_extract_string(record, ${path}), E' \\t\\n\\r')),
        ${invalid === undefined ? 'NULL' : `count_if(coalesce(${invalid}, false))`}
      FROM _report_unique`);
    const [present, nulls, untrimmed, bad] = reader.getRows()[0] ?? [];
    const types = await conn.runAndReadAll(
      `SELECT json_type(record, ${path}) AS t, count(*) FROM _report_unique WHERE json_exists(record, ${path}) GROUP BY t ORDER BY t`,
    );
    result.push({
      name,
      present: num(present),
      nulls: num(nulls),
      types: Object.fromEntries(types.getRows().map(([t, n]) => [String(t), num(n)])),
      untrimmed: num(untrimmed),
      invalid: bad === null || bad === undefined ? null : num(bad),
      rule: rules[name] ?? null,
    });
  }
  return result;
}
