import { z } from 'zod';
import { outputFormatNames } from './formats.js';
import { sourceSchema } from './sourceFile.js';
import { declaredSchema } from './sourceSpec.js';

/** What each run option declares beside its type and default. */
export interface RunOptionMeta {
  /** Its line in `ingest run --help` and in the README's reference. */
  readonly help: string;
  /** Accepted from the environment and files only, never from flags, never echoed. */
  readonly secret?: true;
}

/** The help (and secrecy) of every run option, attached to its schema in `runConfigSchema`. */
export const runOptionMeta = z.registry<RunOptionMeta>();

// No coercion here: the library's options are typed exactly. Strings from flags, variables and
// files are converted by `coerceOptionStrings` (loadRunConfig) before validation.
const positiveInt = z.number().int().positive();
const positive = z.number().positive();
const httpUrl = (): z.ZodURL => z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const path = (): z.ZodString => z.string().startsWith('/', 'expected a path starting with "/"');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." and "-" only');
const m = runOptionMeta;

/**
 * Every option of `ingest run`: its name, type, default and help, declared once. The same
 * camelCase keys are read from a config file, from `INGEST_<SCREAMING_SNAKE>` variables and from
 * `--kebab-case` flags; the page stream, rate limiter and retry budget take the same names, units
 * and defaults (`runOptionDefaults`, `checkRunOptions`).
 */
export const runConfigSchema = z.strictObject({
  source: z
    .union([z.string().min(1), sourceSchema])
    .optional()
    .register(m, {
      help: 'source file (YAML or JSON) describing the API and its resources; replaces the API options below (apiUrl ... tokenFile)',
    }),
  apiUrl: httpUrl().optional().register(m, { help: 'base URL of the API (required without a source file)' }),
  endpoint: path().default('/customers').register(m, { help: 'path of the endpoint to ingest' }),
  pagination: z
    .enum(['page', 'offset', 'cursor', 'link'])
    .default('page')
    .register(m, { help: 'how the endpoint paginates: page (page number + metadata), offset, cursor, link (Link rel="next")' }),
  pageSize: positiveInt.max(100_000).default(1000).register(m, { help: 'records per request' }),
  recordsPath: z
    .string()
    .min(1)
    .default('data')
    .register(m, { help: 'dotted path of the records in a response body ("$" when the body is the array)' }),
  keyField: z.string().min(1).default('id').register(m, { help: 'the field that identifies a record (deduplication key)' }),
  onConflict: z.enum(['first', 'last']).default('first').register(m, {
    help: 'which record is kept when a key arrives again with other content (a conflicting version, named in the report): first or last by page and position',
  }),
  schema: declaredSchema
    .optional()
    .register(m, { help: 'declared fields, e.g. {"id":"integer","email":"email"}: types ELT columns, drives --transform clean' }),
  maxPages: positiveInt
    .default(1_000_000)
    .register(m, { help: 'stop with an error after this many pages (a guard against endless pagination)' }),
  maxBodyBytes: positiveInt.default(64 * 1024 * 1024).register(m, {
    help: 'a response body larger than this many bytes (after decompression) is cut off and fails the run, which can resume with a larger limit: memory stays bounded whatever the API sends',
  }),
  maxRecordBytes: positiveInt.default(1_048_576).register(m, {
    help: 'a record larger than this many bytes (UTF-8 JSON text) goes to the rejects instead of the file',
  }),
  maxRecordDepth: positiveInt
    .default(64)
    .register(m, { help: 'a record nested deeper than this (objects and arrays) goes to the rejects instead of the file' }),
  maxRecordKeys: positiveInt
    .default(2000)
    .register(m, { help: 'a record with more object keys than this, nested ones included, goes to the rejects instead of the file' }),
  maxRejectShare: z.number().min(0).max(1).default(1).register(m, {
    help: 'the run fails, delivering nothing, when this share of the records received or more is rejected (default: all of them)',
  }),
  maskSecretsInRecords: z.boolean().default(true).register(m, {
    help: 'replace the value of a configured secret (password, token, API key, client secret) found in a record by [REDACTED] before staging; the report counts such records and names their fields either way',
  }),
  auth: z
    .enum(['login', 'bearer', 'none'])
    .default('login')
    .register(m, { help: 'login (POST loginPath for a JWT), bearer (a static token) or none' }),
  loginPath: path().default('/login').register(m, { help: 'path of the login endpoint' }),
  username: z.string().min(1).optional().register(m, { help: 'login user name' }),
  password: z.string().min(1).optional().register(m, { help: 'login password: only from INGEST_PASSWORD or passwordFile', secret: true }),
  passwordFile: z.string().min(1).optional().register(m, { help: 'file holding the login password' }),
  token: z.string().min(1).optional().register(m, { help: 'static bearer token: only from INGEST_TOKEN or tokenFile', secret: true }),
  tokenFile: z.string().min(1).optional().register(m, { help: 'file holding the static bearer token' }),
  dataset: name.optional().register(m, { help: "dataset name in keys and reports (default: the endpoint's last segment)" }),
  runId: name.optional().register(m, {
    help: 'run id (default: the ingest date, or <source name>-<ingestDate> for several resources); the same id resumes the same run',
  }),
  ingestDate: isoDate.optional().register(m, { help: 'partition date YYYY-MM-DD (default: today, UTC)' }),
  format: z.enum(outputFormatNames).default('parquet').register(m, { help: 'final file format: parquet (zstd), ndjson, csv or json' }),
  transform: z
    .enum(['none', 'clean'])
    .default('none')
    .register(m, { help: 'none = ELT (land what the API sent); clean = ETL (normalise, rejects aside)' }),
  dataDir: z.string().min(1).default('data').register(m, { help: 'directory for staging databases, final files and reports' }),
  duckdbMemoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'expected a size like 512MB')
    .default('64MB')
    .register(m, {
      help: "DuckDB's memory limit (it spills to disk beyond it), e.g. 512MB; staging and the report's scans use half of it",
    }),
  duckdbTempDir: z.string().min(1).optional().register(m, { help: "DuckDB's spill directory (default: beside the staging database)" }),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, "." or "-")')
    .register(m, { help: 'S3 bucket to deliver to (required)' }),
  prefix: z
    .string()
    .regex(/^(?!\/)[^\\]*$/, 'expected a key prefix without a leading "/"')
    .default('')
    .register(m, { help: 'key prefix inside the bucket' }),
  s3Endpoint: httpUrl().optional().register(m, { help: 'S3-compatible endpoint URL (MinIO, s3rver, moto); default AWS' }),
  s3Region: z.string().min(1).default('us-east-1').register(m, { help: 'S3 region' }),
  s3ForcePathStyle: z.boolean().default(false).register(m, { help: 'path-style addressing (most S3-compatible servers need it)' }),
  keyTemplate: z
    .string()
    .min(1)
    .optional()
    .register(m, { help: 'object key template: {prefix} {dataset} {ingest_date} {run_id} {ext} {yyyy} {mm} {dd}' }),
  checksum: z.enum(['CRC32C', 'SHA256']).default('CRC32C').register(m, { help: 'object checksum: CRC32C or SHA256' }),
  s3PartSizeMb: positiveInt.min(5).max(5120).optional().register(m, {
    help: 'multipart part size in MiB, 5 to 5120 (default 5, grown for files beyond 10,000 parts); a file up to it goes in one PUT',
  }),
  rateLimit: positive.optional().register(m, { help: 'known request rate limit in requests/s (learned from the server when absent)' }),
  maxRate: positive.optional().register(m, { help: 'never send faster than this many requests/s' }),
  rememberPace: z.boolean().default(true).register(m, {
    help: "start from the rate limit earlier runs learned from the same API (kept in the data directory's pace.json) instead of learning it again",
  }),
  maxAttemptsPerPage: positiveInt
    .max(100)
    .default(8)
    .register(m, { help: 'failures allowed per page before the run fails (429 and 401 not counted)' }),
  maxRetryShare: z.number().gt(0).max(1).default(0.5).register(m, { help: 'the run fails when retries exceed this share of requests' }),
  maxWaitSeconds: positive.default(300).register(m, { help: 'longest server-requested wait honoured; a longer Retry-After fails the run' }),
  timeoutSeconds: positive.optional().register(m, { help: 'per-attempt timeout (default: adaptive from measured latency)' }),
  deadlineSeconds: positive.optional().register(m, { help: "the whole run's deadline" }),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .register(m, { help: 'console log level' }),
  logDir: z.string().min(1).default('logs').register(m, { help: 'directory of the rotating error log (app.log)' }),
});

type Shape = typeof runConfigSchema.shape;
export type RunOptionKey = keyof Shape;

/** The options of a run as the library takes them: exact types (a page size is a number), defaults optional. */
export type RunOptions = z.input<typeof runConfigSchema>;
/** The same as `RunOptions` (its earlier name). */
export type RunConfigInput = RunOptions;
/** A run's options once validated, every default applied. */
export type RunConfig = z.output<typeof runConfigSchema>;

const shape: Shape = runConfigSchema.shape;
const optionKeys = Object.keys(shape) as RunOptionKey[];

/** A run option's declaration: its help line and whether it is a secret. */
export function runOptionInfo(key: RunOptionKey): RunOptionMeta {
  const meta = runOptionMeta.get(shape[key]);
  if (!meta) throw new Error(`run option ${key} declares no help`);
  return meta;
}

/** One line of help per option: `ingest run --help` and the README's reference are built from it. */
export const runOptionHelp: Readonly<Record<RunOptionKey, string>> = Object.fromEntries(
  optionKeys.map((key) => [key, runOptionInfo(key).help]),
) as Record<RunOptionKey, string>;

/** Keys that hold secrets: accepted from env and files only, never from flags, never echoed. */
export const secretKeys: readonly RunOptionKey[] = optionKeys.filter((key) => runOptionInfo(key).secret === true);

/** The schema under an option's default and optionality: what kind of value it takes. */
function baseOf(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current;
}

/** What a run option's value is: flags and variables give strings, converted by this. */
export function runOptionKind(key: RunOptionKey): 'number' | 'boolean' | 'json' | 'text' {
  const base = baseOf(shape[key]);
  if (base instanceof z.ZodRecord) return 'json';
  return base instanceof z.ZodNumber ? 'number' : base instanceof z.ZodBoolean ? 'boolean' : 'text';
}

type DefaultedKey = { [K in RunOptionKey]: Shape[K] extends z.ZodDefault ? K : never }[RunOptionKey];

/** Every declared default, by option: the layers below (page stream, pacing) read theirs here. */
export const runOptionDefaults: { readonly [K in DefaultedKey]: RunConfig[K] } = Object.fromEntries(
  optionKeys.flatMap((key) => {
    const schema = shape[key];
    return schema instanceof z.ZodDefault ? [[key, schema.def.defaultValue]] : [];
  }),
) as { readonly [K in DefaultedKey]: RunConfig[K] };

/**
 * Strings for number and boolean options (from flags, `INGEST_*` variables or a config file)
 * converted to numbers and booleans; a string that is neither stays, for validation to name.
 */
export function coerceOptionStrings(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      if (typeof value !== 'string' || !(key in shape)) return [key, value];
      switch (runOptionKind(key as RunOptionKey)) {
        case 'number': {
          const n = Number(value);
          return [key, value.trim() !== '' && Number.isFinite(n) ? n : value];
        }
        case 'boolean':
          return [key, value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value];
        case 'json':
          try {
            return [key, JSON.parse(value) as unknown];
          } catch {
            return [key, value];
          }
        case 'text':
          return [key, value];
      }
    }),
  );
}

/**
 * Some run options taken on their own (the page stream or pacing used without a run): validated
 * by their declaration, defaults applied. Problems come back as `"key": message`, values only
 * when there are none.
 */
export function checkRunOptions<K extends RunOptionKey>(
  keys: readonly K[],
  values: { readonly [P in K]?: unknown },
):
  | { readonly values: { readonly [P in K]: RunConfig[P] }; readonly problems: readonly [] }
  | { readonly values: undefined; readonly problems: readonly string[] } {
  const picked: Record<string, z.ZodType> = Object.fromEntries(keys.map((key) => [key, shape[key]]));
  const input = Object.fromEntries(keys.flatMap((key) => (values[key] === undefined ? [] : [[key, values[key]]])));
  const parsed = z.object(picked).safeParse(input);
  if (parsed.success) return { values: parsed.data as unknown as { readonly [P in K]: RunConfig[P] }, problems: [] };
  return { values: undefined, problems: parsed.error.issues.map((issue) => `"${issue.path.join('.')}": ${issue.message}`) };
}
