/**
 * The run's progress as the staging tables record it: the run row (options, output, upload,
 * status) and the page checkpoints a resume starts from. SQL over one connection; the store
 * serialises the calls.
 */
import { DuckDBTimestampValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { optionSetter } from '../config/optionNames.js';
import { StagingError } from './stagingErrors.js';
import { stagingSchemaSql, timestampFromMs } from './stagingSchema.js';
import type { Checkpoint, OutputRecord, RunOptionValues, RunState, StagingCounts, UploadRecord } from './stagingTypes.js';
import { byCodeUnits } from '../runtime/byCodeUnits.js';

const toMs = (value: DuckDBValue): number | null => (value instanceof DuckDBTimestampValue ? Number(value.micros / 1000n) : null);
const toNum = (value: DuckDBValue): number => (typeof value === 'bigint' ? Number(value) : Number(value ?? 0));
const toStr = (value: DuckDBValue): string | null => (value === null ? null : String(value));

const parseOptions = (value: DuckDBValue): RunOptionValues | null =>
  value === null ? null : (JSON.parse(String(value)) as RunOptionValues);

const show = (value: unknown): string =>
  value === undefined || value === null ? '(not set)' : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** An option stored as the JSON text of an object (the paginator), else undefined. */
function objectIn(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string' || !value.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The keys of an object option that differ, named `option.key`. When its `type` differs, the keys
 * of one type only follow from it: the type and the keys both have (a page size) are named.
 */
function keysThatDiffer(option: string, before: Record<string, unknown>, now: Record<string, unknown>): [string, unknown, unknown][] {
  const sameType = before['type'] === now['type'];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])]
    .filter((key) => sameType || key === 'type' || (key in before && key in now))
    .sort((a, b) => (a === 'type' ? -1 : b === 'type' ? 1 : byCodeUnits(a, b)));
  return keys
    .filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(now[key] ?? null))
    .map((key) => [`${option}.${key}`, before[key], now[key]]);
}

/**
 * "--page-size 1000 then, 500 now": each option whose value differs, as the flag a user types (a
 * paginator's keys one by one, not its JSON), or the source file's key when no flag sets it.
 */
export function optionDifferences(before: RunOptionValues, now: RunOptionValues): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys
    .filter((key) => (before[key] ?? null) !== (now[key] ?? null))
    .flatMap((key): [string, unknown, unknown][] => {
      const [was, is] = [objectIn(before[key]), objectIn(now[key])];
      return was && is ? keysThatDiffer(key, was, is) : [[key, before[key], now[key]]];
    })
    .map(([key, was, is]) => `${optionSetter(key)} ${show(was)} then, ${show(is)} now`);
}

/** Creates the tables and the run's row; refuses a run started with other options, naming them. */
export async function initialiseRun(conn: DuckDBConnection, runId: string, options: RunOptionValues | null, now: number): Promise<void> {
  await conn.run(stagingSchemaSql);
  const json = options === null ? null : JSON.stringify(options);
  const reader = await conn.runAndReadAll('SELECT options FROM runs WHERE run_id = $1', [runId]);
  const rows = reader.getRows();
  if (rows.length === 0) {
    await conn.run(
      `INSERT INTO runs (run_id, status, options, created_at, updated_at) VALUES ($1, 'running', $2, ${timestampFromMs('$3')}, ${timestampFromMs('$3')})`,
      [runId, json, now],
    );
    return;
  }
  const stored = parseOptions(rows[0]?.[0] ?? null);
  const differences = options !== null && stored !== null ? optionDifferences(stored, options) : [];
  if (differences.length > 0) {
    throw new StagingError(
      `run ${runId} was started with other options (${differences.join('; ')}): resume it with the same options, or start a new run with --run-id <new id>`,
    );
  }
  if (stored === null && options !== null) {
    await conn.run(`UPDATE runs SET options = $2, updated_at = ${timestampFromMs('$3')} WHERE run_id = $1`, [runId, json, now]);
  }
}

/** Page numbers committed so far, ascending. */
export async function committedPages(conn: DuckDBConnection, runId: string): Promise<number[]> {
  const reader = await conn.runAndReadAll('SELECT page FROM pages WHERE run_id = $1 ORDER BY page', [runId]);
  return reader.getRows().map((row) => toNum(row[0] ?? 0));
}

/** The highest committed page and its next cursor (cursor pagination resumes from it). */
export async function lastCheckpoint(conn: DuckDBConnection, runId: string): Promise<Checkpoint | undefined> {
  const reader = await conn.runAndReadAll('SELECT page, next_cursor FROM pages WHERE run_id = $1 ORDER BY page DESC LIMIT 1', [runId]);
  const row = reader.getRows()[0];
  return row === undefined ? undefined : { page: toNum(row[0] ?? 0), nextCursor: toStr(row[1] ?? null) };
}

export async function stagingCounts(conn: DuckDBConnection, runId: string): Promise<StagingCounts> {
  // A GROUP BY (which spills) rather than count(DISTINCT key), so that 10M keys fit the memory limit.
  const reader = await conn.runAndReadAll(
    `SELECT (SELECT count(*) FROM pages WHERE run_id = $1), coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE key IS NOT NULL), 0),
            count(key), (SELECT count(refused) FROM raw_records WHERE run_id = $1)
     FROM (SELECT key, count(*) AS n FROM raw_records WHERE run_id = $1 GROUP BY key)`,
    [runId],
  );
  const row = reader.getRows()[0] ?? [];
  const [pages, records, keyed, uniqueKeys, refused] = [0, 1, 2, 3, 4].map((i) => toNum(row[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { pages, records, keyed, uniqueKeys, duplicates: keyed - uniqueKeys, unkeyed: records - keyed - refused, refused };
}

/** The run's progress record (`path` names the database when the run has no row). */
export async function readRunState(conn: DuckDBConnection, runId: string, path: string): Promise<RunState> {
  const reader = await conn.runAndReadAll('SELECT * FROM runs WHERE run_id = $1', [runId]);
  const row = reader.getRowObjects()[0];
  if (row === undefined) throw new StagingError(`run ${runId} has no row in ${path}`);
  const output: OutputRecord | null =
    row['output_path'] === null || row['output_path'] === undefined
      ? null
      : {
          path: String(row['output_path']),
          format: String(row['output_format']),
          rows: toNum(row['output_rows'] ?? 0),
          bytes: toNum(row['output_bytes'] ?? 0),
          sha256: String(row['output_sha256']),
          crc32c: String(row['output_crc32c']),
        };
  const upload: UploadRecord | null =
    row['object_uri'] === null || row['object_uri'] === undefined
      ? null
      : { uri: String(row['object_uri']), etag: toStr(row['object_etag'] ?? null), uploadedAt: toMs(row['uploaded_at'] ?? null) ?? 0 };
  return {
    runId,
    status: row['status'] === 'finished' ? 'finished' : 'running',
    options: parseOptions(row['options'] ?? null),
    createdAt: toMs(row['created_at'] ?? null) ?? 0,
    finishedAt: toMs(row['finished_at'] ?? null),
    output,
    upload,
  };
}

/** The assignments and values that record the final file (a crash after this resumes at the upload). */
export const outputUpdate = (output: Readonly<OutputRecord>): RunUpdate => ({
  assignments: 'output_path = $2, output_format = $3, output_rows = $4, output_bytes = $5, output_sha256 = $6, output_crc32c = $7',
  values: [output.path, output.format, output.rows, output.bytes, output.sha256, output.crc32c],
});

/** The assignments and values that record the upload (a crash after this resumes at the report). */
export const uploadUpdate = (upload: Readonly<{ uri: string; etag?: string | null }>, now: number): RunUpdate => ({
  assignments: `object_uri = $2, object_etag = $3, uploaded_at = ${timestampFromMs('$4')}`,
  values: [upload.uri, upload.etag ?? null, now],
});

/** The assignments and values that mark the run finished: a rerun with its id has nothing left to do. */
export const finishedUpdate = (now: number): RunUpdate => ({
  assignments: `status = 'finished', finished_at = ${timestampFromMs('$2')}`,
  values: [now],
});

/** Columns of the run's row to set: `assignments` use `$2`... for `values` (`$1` is the run id). */
export interface RunUpdate {
  readonly assignments: string;
  readonly values: DuckDBValue[];
}

/** Applies `update` to the run's row, stamping `updated_at` with `now`. */
export async function updateRun(conn: DuckDBConnection, runId: string, { assignments, values }: RunUpdate, now: number): Promise<void> {
  const at = values.length + 2;
  await conn.run(`UPDATE runs SET ${assignments}, updated_at = ${timestampFromMs(`$${at}`)} WHERE run_id = $1`, [runId, ...values, now]);
}
