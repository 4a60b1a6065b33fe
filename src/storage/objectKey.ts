import { ConfigError } from '../errors.js';

/** The values a key template can use. */
export interface KeyParts {
  /** Leading/trailing '/' are trimmed; may hold inner '/' ("raw/crm"); may be empty. */
  readonly prefix: string;
  readonly dataset: string;
  /** UTC calendar date, YYYY-MM-DD. */
  readonly ingestDate: string;
  readonly runId: string;
  /** File extension without the dot: parquet, ndjson, csv, json. */
  readonly ext: string;
}

/** The file is named by its dataset and run id, so a downloaded file still says what it holds. */
export const DEFAULT_KEY_TEMPLATE = '{prefix}/{dataset}/ingest_date={ingest_date}/{dataset}_{run_id}.{ext}';
/**
 * Reports (and the rejects) live beside, not inside, the data partitions, so a partition holds
 * one data file. `{ext}` is the kind's whole suffix (REPORT_EXTENSIONS).
 */
export const DEFAULT_REPORT_KEY_TEMPLATE = '{prefix}/_reports/{dataset}/ingest_date={ingest_date}/{run_id}.{ext}';

/** What a run delivers beside its data file, and each one's suffix; a source of several resources adds its own report. */
export const REPORT_EXTENSIONS = {
  json: 'report.json',
  md: 'report.md',
  html: 'report.html',
  rejects: 'rejects.ndjson',
  sourceJson: 'source.report.json',
  sourceMd: 'source.report.md',
} as const;
export type ReportKind = keyof typeof REPORT_EXTENSIONS;

export const KEY_PLACEHOLDERS = ['prefix', 'dataset', 'ingest_date', 'run_id', 'ext', 'yyyy', 'mm', 'dd'] as const;
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{([^{}]*)\}/g;
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._=-]*$/;
const MAX_KEY_BYTES = 1024;

/** UTC calendar date of an epoch-ms instant, as used for `ingest_date`. */
export function ingestDateOf(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Every problem with a template on its own (unknown or malformed placeholders). */
export function keyTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  if (template.trim() === '') problems.push('key template is empty');
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!(KEY_PLACEHOLDERS as readonly string[]).includes(name)) {
      problems.push(`key template has an unknown placeholder {${name}}; known: ${KEY_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) problems.push('key template has an unbalanced "{" or "}"');
  if (!template.includes('{run_id}')) problems.push('key template must contain {run_id}, or two runs would share one key');
  return problems;
}

function partProblems(parts: KeyParts): string[] {
  const problems: string[] = [];
  const check = (name: string, value: string): void => {
    if (!SAFE_VALUE.test(value))
      problems.push(`${name} "${value}" must be letters, digits, ".", "_", "=" or "-" (and not start with a symbol)`);
  };
  check('dataset', parts.dataset);
  check('run_id', parts.runId);
  check('ext', parts.ext);
  const prefix = trimSlashes(parts.prefix);
  if (prefix !== '') {
    for (const segment of prefix.split('/')) {
      if (!SAFE_VALUE.test(segment)) problems.push(`prefix segment "${segment}" must be letters, digits, ".", "_", "=" or "-"`);
    }
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(parts.ingestDate);
  if (!m || ingestDateOf(Date.parse(`${parts.ingestDate}T00:00:00Z`) || 0) !== parts.ingestDate) {
    problems.push(`ingest_date "${parts.ingestDate}" must be a calendar date YYYY-MM-DD`);
  }
  return problems;
}

/** Problems with a rendered key: what S3 and every downstream reader will accept. */
export function objectKeyProblems(key: string): string[] {
  const problems: string[] = [];
  if (key === '') return ['key is empty'];
  if (key.startsWith('/')) problems.push(`key "${key}" must not start with "/"`);
  if (key.endsWith('/')) problems.push(`key "${key}" must not end with "/"`);
  const segments = key.split('/');
  if (segments.some((s) => s === '..' || s === '.')) problems.push(`key "${key}" must not contain "." or ".." segments`);
  if (segments.slice(1, -1).some((s) => s === '')) problems.push(`key "${key}" must not contain "//"`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) problems.push(`key "${key}" must not contain control characters or "\\"`);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) problems.push(`key is longer than ${MAX_KEY_BYTES} bytes`);
  return problems;
}

/**
 * Renders `template` with `parts`. A path segment that is only `{prefix}` disappears when the
 * prefix is empty, so the default template needs no prefix. Throws ConfigError listing every
 * problem (unknown placeholder, unsafe value, invalid resulting key).
 */
export function renderKey(parts: KeyParts, template: string = DEFAULT_KEY_TEMPLATE): string {
  const problems = [...keyTemplateProblems(template), ...partProblems(parts)];
  if (problems.length > 0) throw new ConfigError(problems);
  const [yyyy, mm, dd] = parts.ingestDate.split('-') as [string, string, string];
  const values: Record<KeyPlaceholder, string> = {
    prefix: trimSlashes(parts.prefix),
    dataset: parts.dataset,
    ingest_date: parts.ingestDate,
    run_id: parts.runId,
    ext: parts.ext,
    yyyy,
    mm,
    dd,
  };
  const key = template
    .split('/')
    .filter((segment) => !(segment === '{prefix}' && values.prefix === ''))
    .map((segment) => segment.replace(PLACEHOLDER, (_all, name: string) => values[name as KeyPlaceholder]))
    .join('/');
  const keyProblems = objectKeyProblems(key);
  if (keyProblems.length > 0) throw new ConfigError(keyProblems);
  return key;
}

/** The "directory" of a key: the data partition a data file lives in. */
export function partitionOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash + 1);
}

/**
 * The key of one of the run's reports (JSON, Markdown, HTML) or of its rejects. Refuses a key
 * inside the data file's partition, which must hold exactly one data file.
 */
export function reportKey(
  parts: Omit<KeyParts, 'ext'>,
  kind: ReportKind = 'json',
  options: Readonly<{ template?: string; dataKeyTemplate?: string }> = {},
): string {
  const key = renderKey({ ...parts, ext: REPORT_EXTENSIONS[kind] }, options.template ?? DEFAULT_REPORT_KEY_TEMPLATE);
  const dataPartition = partitionOf(renderKey({ ...parts, ext: 'data' }, options.dataKeyTemplate ?? DEFAULT_KEY_TEMPLATE));
  if (dataPartition !== '' && key.startsWith(dataPartition)) {
    throw new ConfigError([`report key "${key}" falls inside the data partition "${dataPartition}", which must hold only the data file`]);
  }
  return key;
}

/** The folders under the prefix that hold what runs keep beside the data: no data file goes there. */
const RESERVED_FOLDERS = ['_reports', '_schemas'] as const;

/** The data file's key from `template`, refused (ConfigError) under `_reports/` or `_schemas/` of the prefix. */
export function dataKey(parts: KeyParts, template: string = DEFAULT_KEY_TEMPLATE): string {
  const key = renderKey(parts, template);
  const prefix = trimSlashes(parts.prefix);
  const folder = RESERVED_FOLDERS.find((name) => key.startsWith(prefix === '' ? `${name}/` : `${prefix}/${name}/`));
  if (folder !== undefined) {
    throw new ConfigError([`key template puts the data file at "${key}", inside ${folder}/, which holds the runs' ${folder.slice(1)}`]);
  }
  return key;
}

/** The key of a dataset's schema, kept across runs: `<prefix>/_schemas/<dataset>.json`, beside the data. */
export function schemaKey(prefix: string, dataset: string): string {
  const key = [trimSlashes(prefix), '_schemas', `${dataset}.json`].filter((s) => s !== '').join('/');
  const problems = objectKeyProblems(key);
  if (problems.length > 0) throw new ConfigError(problems);
  return key;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/** The keys a template renders to while some placeholders are unknown: a prefix to list and a pattern to match. */
export interface KeyPattern {
  readonly listPrefix: string;
  readonly pattern: RegExp;
}

/** `template` with the `fixed` placeholders filled in and every other one matching any one segment's text. */
function keyPattern(template: string, fixed: Readonly<Partial<Record<KeyPlaceholder, string>>>): KeyPattern {
  const text = template
    .split('/')
    .filter((segment) => !(segment === '{prefix}' && fixed.prefix === ''))
    .join('/');
  let listPrefix: string | undefined;
  let pattern = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const value = fixed[(match[1] ?? '') as KeyPlaceholder];
    const literal = text.slice(last, match.index);
    last = match.index + match[0].length;
    if (value === undefined) {
      listPrefix ??= renderedSoFar(text, match.index, fixed);
      pattern += `${escapeRegExp(literal)}[^/]+`;
    } else pattern += escapeRegExp(literal + value);
  }
  pattern += escapeRegExp(text.slice(last));
  return { listPrefix: listPrefix ?? renderedSoFar(text, text.length, fixed), pattern: new RegExp(`^${pattern}$`) };
}

/** Where earlier runs of `dataset` left their reports of `kind` (the default template unless told), whatever the run and date. */
export function reportKeyPattern(
  parts: Pick<KeyParts, 'prefix' | 'dataset'>,
  kind: ReportKind = 'json',
  template: string = DEFAULT_REPORT_KEY_TEMPLATE,
): KeyPattern {
  return keyPattern(template, { prefix: trimSlashes(parts.prefix), dataset: parts.dataset, ext: REPORT_EXTENSIONS[kind] });
}

/**
 * The data files of `dataset` on its ingest date, of any run id and format, under the data key
 * `template`; undefined when the template does not name the day (`{ingest_date}`, or `{yyyy}`,
 * `{mm}` and `{dd}`): its files are then told apart by run id alone, by design.
 */
export function dayDataKeyPattern(parts: Omit<KeyParts, 'runId' | 'ext'>, template: string = DEFAULT_KEY_TEMPLATE): KeyPattern | undefined {
  const names = new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]));
  if (!names.has('ingest_date') && !(names.has('yyyy') && names.has('mm') && names.has('dd'))) return undefined;
  const [yyyy, mm, dd] = parts.ingestDate.split('-') as [string, string, string];
  return keyPattern(template, { prefix: trimSlashes(parts.prefix), dataset: parts.dataset, ingest_date: parts.ingestDate, yyyy, mm, dd });
}

function renderedSoFar(text: string, end: number, fixed: Readonly<Partial<Record<KeyPlaceholder, string>>>): string {
  return text.slice(0, end).replace(PLACEHOLDER, (_all, name: string) => fixed[name as KeyPlaceholder] ?? '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
