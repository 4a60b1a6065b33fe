/** The one final file, written from the staged records (read through StagedRecords) and published atomically. */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { IngestError, errorGuard, type ErrorGuard } from '../errors.js';
import { crashPoint } from '../faults/crashPoint.js';
import { isProcessAlive } from '../staging/runLock.js';
import { sqlString } from '../staging/sqlText.js';
import type { StagedRecords, StagedRecordsSource } from '../staging/stagedRecords.js';
import { describeError } from '../staging/stagingErrors.js';
import type { DeclaredField } from '../config/sourceSpec.js';
import type { CleanPlan } from './cleanColumns.js';
import { cleanColumns } from './cleanColumns.js';
import type { ColumnPlan } from './columnPlan.js';
import { expectedColumns, lineageColumns } from './columnPlan.js';
import { resolveColumns } from './datasetSchema.js';
import type { RenamedField, SchemaChange, SchemaColumn } from '../report/runReport.js';
import { nameColumns } from './columnNames.js';
import { fileChecksums } from './fileChecksums.js';
import { jsonLinesQuery } from './jsonLines.js';
import { outputFormatNames } from '../config/formats.js';
import type { OutputFormat } from './renderColumns.js';
import { copyOptions, readBackReader, readBackRoom, renderColumns } from './renderColumns.js';

/** 'none' (ELT): land what the API sent, typed and deduplicated. 'clean' (ETL): validate and normalise. */
export type Transform = 'none' | 'clean';

export interface WriteFinalFileOptions {
  readonly format: OutputFormat;
  /** The final file; written beside it under a temporary name, then renamed. */
  readonly path: string;
  readonly transform?: Transform;
  readonly keyField?: string;
  /** Columns (name -> DuckDB type) every output has, even with no records (e.g. an empty run). */
  readonly expectedSchema?: Readonly<Record<string, string>>;
  /** The declared schema: ETL's rules per field (none: text trimmed, types inferred). */
  readonly cleanSchema?: Readonly<Record<string, DeclaredField>>;
  /**
   * ELT: the dataset's stored schema (undefined: its first run). Its columns keep their types;
   * the file's schema and the columns added are returned and written to `<name>.schema.json`.
   */
  readonly previousSchema?: readonly SchemaColumn[];
  /**
   * The file is not written (a `RejectShareError`, the rejects file published) when this share
   * of the records received or more is rejected (rule rejects, records without a key and refused
   * records alike): 1 (the run option's default) refuses only a run whose every record is
   * rejected, 0 any run with a reject; none: any share is written.
   */
  readonly maxRejectShare?: number;
  /** Called with the temporary file once written, before it is checked (an inspection/test seam). */
  readonly onWritten?: (tempPath: string) => void | Promise<void>;
}

/**
 * A file's schema (`<name>.schema.json`): the record fields written under another name than their
 * own (both transforms), and for ELT its data columns (lineage aside) and the columns it added
 * to the dataset's stored schema (ETL's columns are its declared schema's: none are recorded).
 */
export interface FileSchema {
  readonly columns: readonly SchemaColumn[];
  readonly changes: readonly SchemaChange[];
  /** Absent in a schema written before fields were renamed. */
  readonly renamed?: readonly RenamedField[];
}

export interface FinalFile {
  readonly path: string;
  readonly format: OutputFormat;
  readonly rows: number;
  readonly duplicatesDropped: number;
  /** Unique records a cleaning rule rejected: `rows + rejected = unique`. */
  readonly rejected: number;
  /** Records without a usable key (refused ones aside): `staged = unique + duplicatesDropped + withoutKey + refused`. */
  readonly withoutKey: number;
  /** Records staging refused (`recordRefusal`: beyond a limit, or poison), each with its reason in the rejects. */
  readonly refused: number;
  /** Record fields written under another name than their own, and why (also in the schema file). */
  readonly renamed: readonly RenamedField[];
  /**
   * Per declared field whose rule checks its values, the unique records that break it, counted in
   * the rejects (ETL; empty for ELT): the report's figures without a scan of every record. Absent
   * when two checks give the same reason, which the rejects could not tell apart.
   */
  readonly invalid?: Readonly<Record<string, number>>;
  /** `<name>.rejects.ndjson` beside the output: one line per rejected or keyless record, with its reasons; absent without any. */
  readonly rejectsPath?: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** ELT: the dataset's schema as this file has it, and the columns it added to the stored one (also in `schemaPath`). */
  readonly schema?: FileSchema;
  readonly bytes: number;
  readonly sha256: string;
  readonly crc32c: string;
}

/** Writing or checking the final file failed; the final path was left untouched. */
export class OutputError extends IngestError {
  override name = 'OutputError';
}
export const isOutputError: ErrorGuard<OutputError> = errorGuard(OutputError, 'OutputError');

/** Too large a share of the records was rejected (`maxRejectShare`): the data is not delivered. */
export class RejectShareError extends OutputError {
  override name = 'RejectShareError';
}

/** "all of them" or "60% (maxRejectShare 0.5)": how the share compares with the threshold. */
function rejectShareText(rejected: number, received: number, maxShare: number): string {
  if (rejected === received) return maxShare === 1 ? 'all of them' : `all of them (maxRejectShare ${maxShare})`;
  return `${Math.floor((rejected / received) * 1000) / 10}%, at or past maxRejectShare ${maxShare}`;
}

const formats: readonly OutputFormat[] = outputFormatNames;
let tempCounter = 0;

/** `<dir>/<name>.rejects.ndjson` for `<dir>/<name>.<ext>`. */
export function rejectsPathFor(path: string): string {
  return besidePath(path, 'rejects.ndjson');
}

/** `<dir>/<name>.schema.json` for `<dir>/<name>.<ext>`: the ELT file's schema, kept for the upload and the report. */
export function schemaPathFor(path: string): string {
  return besidePath(path, 'schema.json');
}

const besidePath = (path: string, suffix: string): string => join(dirname(path), `${basename(path).replace(/\.[^.]*$/, '')}.${suffix}`);

/**
 * Writes the run's one final file from the staging tables with DuckDB COPY: one row per unique
 * key (the first by page, seq), lineage columns, typed columns. Written to a temporary name,
 * read back and counted, fsynced and atomically renamed, so the final path never holds a
 * partial file. Rejected records go to `<name>.rejects.ndjson`, never silently dropped.
 *
 * Memory stays within DuckDB's memory limit whatever the run's size (docs/reliability.md row 28):
 * nothing is materialised but the few duplicate positions; each pass streams from the staged
 * records and parses each record once. The final file's rows are therefore in no particular
 * order (sorting 10M wide rows would cost a spilling sort for no consumer need): sort by
 * `_page` or the key when reading. The (small) rejects file is ordered by page and position.
 */
export async function writeFinalFile(store: StagedRecordsSource, options: Readonly<WriteFinalFileOptions>): Promise<FinalFile> {
  if (!formats.includes(options.format))
    throw new OutputError(`output option "format" must be one of ${formats.join(', ')}, got ${String(options.format)}`);
  const transform = options.transform ?? 'none';
  if (transform !== 'none' && transform !== 'clean')
    throw new OutputError(`output option "transform" must be 'none' or 'clean', got ${String(transform)}`);
  const keyField = options.keyField ?? 'id';
  const path = resolve(options.path);
  mkdirSync(dirname(path), { recursive: true });
  return store.readStaged(`write the final file ${path}`, async (staged) => {
    const temps: string[] = [];
    try {
      return await write(staged, path, transform, keyField, options, temps);
    } catch (error: unknown) {
      if (error instanceof IngestError) throw error;
      throw new OutputError(`cannot write the final file ${path}: ${describeError(error)}`, { cause: error });
    } finally {
      for (const temp of temps) rmSync(temp, { force: true });
      await staged.run('DROP VIEW IF EXISTS temp._rows; DROP VIEW IF EXISTS temp._fields').catch(() => undefined);
    }
  });
}

async function write(
  staged: StagedRecords,
  path: string,
  transform: Transform,
  keyField: string,
  options: Readonly<WriteFinalFileOptions>,
  temps: string[],
): Promise<FinalFile> {
  // UTC everywhere, whatever the machine's zone: dates parse and print the same on every host.
  await staged.run(`SET TimeZone = 'UTC'`);
  const { relation: unique, duplicates: duplicatesDropped, shape } = await staged.unique();
  const schema = transform === 'clean' ? (options.cleanSchema ?? {}) : {};
  const field = await staged.fieldsView('_fields', [...new Set([...Object.keys(schema), ...shape.keys])]);
  const jsonFormat = options.format === 'ndjson' || options.format === 'json';
  // The JSON formats keep every field's name as it came; Parquet and CSV names ignore case.
  const rule = jsonFormat ? 'exact' : 'caseless';
  let fileSchema: FileSchema;
  let all: CleanPlan[];
  if (transform === 'clean') {
    const rules = await cleanColumns(staged, schema, keyField, shape, field);
    const named = nameColumns(
      [...rules, ...expectedColumns(options.expectedSchema ?? {}, new Set(rules.map((p) => p.key ?? p.name)))],
      rule,
    );
    all = [...named.plans, ...lineageColumns];
    fileSchema = { columns: [], changes: [], renamed: named.renamed };
  } else {
    const resolved = await resolveColumns(staged, '_fields', shape, field, options.previousSchema, options.expectedSchema);
    // The schema's names are Parquet's and CSV's; the JSON formats write the fields' own.
    const named = rule === 'caseless' ? resolved : nameColumns(resolved.plans, rule);
    all = [...named.plans, ...lineageColumns];
    fileSchema = { columns: resolved.columns, changes: resolved.changes, renamed: named.renamed };
  }

  // Parquet and CSV write a JSON column as its text: read with the other fields' texts, not parsed again.
  const written = jsonFormat
    ? all
    : all.map((p) => (p.kind === 'json' && p.text !== undefined ? { ...p, expr: p.text, kind: 'text' as const } : p));
  // The rules check the column values (c0...), computed once below them: a check written over a
  // value's SQL computed it again (1M calm records under the customer rules, on one thread: the
  // file 7.95 → 7.4-7.6 s).
  const checked = written.flatMap(({ invalid, reason, name, key }, i) =>
    invalid === undefined ? [] : [{ field: key ?? name, reason: reason ?? name, sql: invalid(`c${i}`) }],
  );
  const checks = checked.map(({ sql, reason }) => `CASE WHEN ${sql} THEN ${sqlString(reason)} END`);
  const reasons = checks.length === 0 ? '[]::VARCHAR[]' : `list_filter([${checks.join(', ')}], r -> r IS NOT NULL)`;
  // A view, not a table: every pass below streams from the staged records (memory stays flat).
  await staged.run(`CREATE OR REPLACE TEMP VIEW _rows AS
    SELECT run_id, page, seq, key, record, ${written.map((_, i) => `c${i}`).join(', ')}, ${reasons} AS _reasons
    FROM (SELECT *, ${written.map((p, i) => `${p.expr} AS c${i}`).join(', ')} FROM _fields)`);

  // Unique is the number of distinct keys, counted from the staged records themselves (not from the deduplicated relation).
  const [uniqueRows = 0, received = 0, keys = 0, unkeyed = 0, refused = 0, held = 0] = await one(
    staged,
    `SELECT (SELECT count(*) FROM ${unique}), count(*), count(DISTINCT key), count_if(key IS NULL AND refused IS NULL), count(refused),
       (SELECT coalesce(sum(records), 0) FROM ${staged.pages})
       FROM ${staged.records}`,
  );
  // A page's checkpoint row counts its records in the transaction that stages them. A page staged
  // twice or in part would pass the equations below: its keyed copies count as duplicates.
  checkEquation(`received ${received} = records the staged pages held ${held}`, received === held);
  checkEquation(
    `received ${received} = unique ${keys} + duplicates ${duplicatesDropped} + without a key ${unkeyed} + refused ${refused}`,
    received === keys + duplicatesDropped + unkeyed + refused,
  );
  checkEquation(`unique records ${uniqueRows} = unique keys ${keys}`, uniqueRows === keys);

  const rejectsPath = rejectsPathFor(path);
  removeStaleTemps(path);
  removeStaleTemps(rejectsPath);
  // The file first: the unique records it lacks are the rules' rejects, which the rejects file,
  // read back on its own, must then hold. Counting them beforehand cost a pass of every rule over
  // every record (1M calm records under the customer rules: 5.4-6.2 s, as long as the file).
  const temp = tempBeside(path);
  temps.push(temp);
  const select = renderColumns(written, options.format);
  const rows = `SELECT ${select} FROM _rows WHERE len(_reasons) = 0`;
  const names = all.map((p) => p.name);
  const query = rule === 'exact' ? await jsonLinesQuery(staged, rows, undefined, names) : rows;
  await filteredByReasons(staged, checks.length > 0, () =>
    staged.copy(`COPY (${query}) TO ${sqlString(temp)} (${copyOptions(options.format)})`),
  );
  await options.onWritten?.(temp);
  const valid = await readBackCount(staged, options.format, temp);
  if (checks.length === 0 && valid !== uniqueRows)
    throw new OutputError(`the ${options.format} file ${basename(temp)} holds ${valid} rows, expected ${uniqueRows}`);
  const invalid = uniqueRows - valid;

  const rejectsTemp = tempBeside(rejectsPath);
  temps.push(rejectsTemp);
  const rejected = invalid + unkeyed + refused;
  let rejectedByRules = 0;
  let broken: number[] = [];
  // No rejects, no file (and none left from an earlier attempt): an empty file says nothing.
  if (rejected === 0) rmSync(rejectsPath, { force: true });
  else {
    const reason = sqlString(`missing or invalid ${keyField}`);
    const rejects = await jsonLinesQuery(
      staged,
      `SELECT run_id, page, seq, key, _reasons AS reasons, record FROM _rows WHERE len(_reasons) > 0
        UNION ALL
        SELECT run_id, page, seq, key, CASE WHEN refused IS NULL THEN [${reason}] ELSE [refused] END AS reasons, record
        FROM ${staged.records} WHERE key IS NULL`,
      'page, seq',
    );
    await filteredByReasons(staged, checks.length > 0, () =>
      staged.copy(`COPY (${rejects}) TO ${sqlString(rejectsTemp)} (${copyOptions('ndjson')})`),
    );
    // Read back with each check's rule breakers: the keyed lines that carry its reason (each line parsed once).
    const breakers = checked.map(({ reason }) => `, count_if(k IS NOT NULL AND list_contains(r, ${sqlString(reason)}))`).join('');
    const [lines = -1, ...counts] = await readBack(
      staged,
      'ndjson',
      rejectsTemp,
      (reader) => `SELECT count(*)${breakers} FROM (SELECT e[1] AS k, json_extract_string(e[2], '$[*]') AS r
        FROM (SELECT json_extract_string(json, ['$.key', '$.reasons']) AS e FROM ${reader}))`,
    );
    rejectedByRules = lines - unkeyed - refused;
    broken = counts;
  }
  const distinct = new Set(checked.map((c) => c.reason)).size === checked.length;
  // Both files are read back: with the rules' rejects, the file's rows make every distinct key.
  checkEquation(`rows in the file ${valid} + rejected ${rejectedByRules} = unique ${keys}`, valid + rejectedByRules === keys);
  const maxShare = options.maxRejectShare;
  if (maxShare !== undefined && rejected > 0 && rejected >= maxShare * received) {
    // The reasons stay readable beside the output that is not written.
    publish(rejectsTemp, rejectsPath);
    throw new RejectShareError(
      `${rejected} of ${received} records were rejected, ${rejectShareText(rejected, received, maxShare)}: ` +
        `nothing is delivered; the reasons are in ${rejectsPath}`,
    );
  }

  const columns = await describeColumns(staged, options.format, temp, all);
  // A reader's own renaming (DuckDB's `name_1`) would be a silent one: the file has the planned names or is not delivered.
  const count = Math.max(columns.length, names.length);
  let at = 0;
  while (at < count && columns[at]?.name === names[at]) at++;
  if (at < count)
    throw new OutputError(
      `the ${options.format} file names its column ${at + 1} ${JSON.stringify(columns[at]?.name ?? null)}, not ${JSON.stringify(names[at] ?? null)}`,
    );
  const schemaPath = schemaPathFor(path);
  removeStaleTemps(schemaPath);
  const schemaTemp = tempBeside(schemaPath);
  // ETL's file has a schema file only to name its renamed fields.
  const schemaFile = transform === 'none' || (fileSchema.renamed?.length ?? 0) > 0;
  if (schemaFile) {
    temps.push(schemaTemp);
    writeFileSync(schemaTemp, `${JSON.stringify(fileSchema, null, 2)}\n`);
  }
  crashPoint('output.midWrite');
  publish(temp, path);
  if (rejected > 0) publish(rejectsTemp, rejectsPath);
  if (schemaFile) publish(schemaTemp, schemaPath);
  else rmSync(schemaPath, { force: true });
  const sums = await fileChecksums(path);
  return {
    path,
    format: options.format,
    rows: valid,
    duplicatesDropped,
    rejected: rejectedByRules,
    ...(distinct ? { invalid: Object.fromEntries(checked.map((c, i) => [c.field, broken[i] ?? 0])) } : {}),
    withoutKey: unkeyed,
    refused,
    renamed: fileSchema.renamed ?? [],
    ...(rejected > 0 ? { rejectsPath } : {}),
    columns,
    ...(transform === 'none' ? { schema: fileSchema } : {}),
    ...sums,
  };
}

/**
 * Runs `copy`, a COPY of the rows of `_rows` its reasons filter, with DuckDB's filter pushdown
 * off when rules gave reasons (`ruled`): it moved that filter below the projection of the
 * columns, where the records were parsed and every rule evaluated for the filter, then again for
 * the row (1M calm records under the customer rules, on one thread: the file 10.3-12.3 → 7.3-7.6
 * s). The other filters of those queries are plain comparisons, as cheap above the scan as in it.
 */
async function filteredByReasons(staged: StagedRecords, ruled: boolean, copy: () => Promise<void>): Promise<void> {
  if (!ruled) return copy();
  await staged.run(`SET disabled_optimizers = 'filter_pushdown'`);
  try {
    await copy();
  } finally {
    await staged.run('RESET disabled_optimizers');
  }
}

async function one(staged: StagedRecords, sql: string): Promise<number[]> {
  return ((await staged.query(sql))[0] ?? []).map((v) => Number(v));
}

/** A count identity of the file about to be delivered: false stops the run before anything is published. */
function checkEquation(equation: string, holds: boolean): void {
  if (!holds)
    throw new OutputError(`the counts do not add up, so the file is not delivered: ${equation.replace(' = ', ' ≠ ')} does not hold`);
}

/** Reads the file back (it must be readable) and counts its rows. */
async function readBackCount(staged: StagedRecords, format: OutputFormat, file: string): Promise<number> {
  const [rows = -1] = await readBack(staged, format, file, (reader) => `SELECT count(*) FROM ${reader}`);
  return rows;
}

/** The row of `query` over the file read back (`readBackReader`), as numbers; a longer line or value than the reader held is read again with room for it. */
async function readBack(staged: StagedRecords, format: OutputFormat, file: string, query: (reader: string) => string): Promise<number[]> {
  for (let room = 0; ;) {
    try {
      return await one(staged, query(readBackReader(format, file, room)));
    } catch (error: unknown) {
      const needed = readBackRoom(error);
      // Each try holds more than the last: a later line may be longer still, none longer than the file.
      if (needed !== undefined && needed > room && room < statSync(file).size) {
        room = Math.max(needed, 2 * room);
        continue;
      }
      throw new OutputError(`the ${format} file written for ${basename(file)} cannot be read back: ${describeError(error)}`, {
        cause: error,
      });
    }
  }
}

async function describeColumns(
  staged: StagedRecords,
  format: OutputFormat,
  file: string,
  plans: readonly ColumnPlan[],
): Promise<{ name: string; type: string }[]> {
  if (format !== 'parquet') return plans.map((p) => ({ name: p.name, type: p.type }));
  // DESCRIBE's first columns are column_name and column_type.
  // Not DuckDB's hive columns: a path holding `ingest_date=...` would add one the file does not have.
  const rows = await staged.query(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`);
  return rows.map(([name, type]) => ({ name: String(name), type: String(type) }));
}

/** Removes temporary files a killed writer left beside `path` (their pid is gone). */
function removeStaleTemps(path: string): void {
  const prefix = `.${basename(path)}.`;
  for (const name of readdirSync(dirname(path))) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) rmSync(join(dirname(path), name), { force: true });
  }
}

function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
}

/** fsync the file, rename it over the target, fsync the directory: all or nothing at `path`. */
function publish(temp: string, path: string): void {
  const fd = openSync(temp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
