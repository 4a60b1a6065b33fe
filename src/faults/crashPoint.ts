import { ConfigError } from '../errors.js';

/**
 * Where a run can be made to die on purpose (fault injection), so that tests and operators can
 * prove that a `kill -9` at the worst moment costs nothing but a rerun. Each is reached by the
 * code named below; set `INGEST_CRASH_AT=<name>[:<n>]` and the process kills itself with SIGKILL
 * the n-th time (default the 1st) it gets there: no handler, no cleanup, no flush.
 */
export const crashPointNames = [
  /**
   * Inside a staging transaction (of one page, or of the pages that waited together): their rows
   * and checkpoint rows are written, COMMIT is not. A rerun must find no trace of those pages (no
   * torn page) and fetch them again. Counted per page: `:3` dies in the transaction of the third.
   */
  'staging.midPage',
  /**
   * Pages are committed but the page stream has not been told. A rerun must not fetch those
   * pages again and must not stage them twice. Counted per page: `:3` dies after the commit holding the third.
   */
  'staging.afterCommit',
  /**
   * The final file is written under its temporary name, not yet renamed to the final path. A
   * rerun must find no file at the final path, remove the dead writer's temporary file and write
   * the file again.
   */
  'output.midWrite',
  /**
   * A multipart upload has at least one part stored and is not completed (reached only when the
   * file is larger than the part size). A rerun must abort the dangling upload and deliver once.
   */
  'upload.midMultipart',
  /**
   * The object is stored and verified, the checkpoint does not know it yet and no report is
   * written. A rerun must recognise the object as delivered and not upload a second one.
   */
  'upload.afterUpload',
] as const;

export type CrashPointName = (typeof crashPointNames)[number];

/** A parsed `INGEST_CRASH_AT`: die at the `hit`-th time `point` is reached. */
export interface CrashSpec {
  readonly point: CrashPointName;
  readonly hit: number;
}

/** The environment variable that arms a crash point. */
export const CRASH_AT_ENV = 'INGEST_CRASH_AT';

/** Parses `<name>[:<n>]`; undefined for an unset or empty value, a ConfigError for a bad one. */
export function parseCrashAt(value: string | undefined): CrashSpec | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^([a-zA-Z.]+)(?::(\d+))?$/.exec(value.trim());
  const point = crashPointNames.find((name) => name === match?.[1]);
  const hit = match?.[2] === undefined ? 1 : Number(match[2]);
  if (match === null || point === undefined || !Number.isSafeInteger(hit) || hit < 1) {
    throw new ConfigError([`${CRASH_AT_ENV}="${value}" must be <point>[:<n>] with n >= 1, the point one of ${crashPointNames.join(', ')}`]);
  }
  return { point, hit };
}

const reached = new Map<CrashPointName, number>();

/**
 * Marks the place `name` in the code. Does nothing unless `INGEST_CRASH_AT` names it; then
 * counts the visits and, at the chosen one, kills this process with SIGKILL (never returns).
 */
export function crashPoint(name: CrashPointName, env: Readonly<Record<string, string | undefined>> = process.env): void {
  const spec = parseCrashAt(env[CRASH_AT_ENV]);
  if (spec?.point !== name) return;
  const count = (reached.get(name) ?? 0) + 1;
  reached.set(name, count);
  if (count === spec.hit) process.kill(process.pid, 'SIGKILL');
}
