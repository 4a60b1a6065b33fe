import { z } from 'zod';

const bool = z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean());
const positiveInt = z.coerce.number().int().positive();
const positive = z.coerce.number().positive();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." and "-" only');

/**
 * Every option of `ingest run`, with its default. The same camelCase keys are read from a
 * config file, from `INGEST_<SCREAMING_SNAKE>` variables and from `--kebab-case` flags.
 */
export const runConfigSchema = z.strictObject({
  /** Base URL of the API. */
  apiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** Path of the endpoint to ingest. */
  endpoint: z.string().startsWith('/', 'expected a path starting with "/"').default('/customers'),
  /** How the endpoint paginates. */
  pagination: z.enum(['page', 'offset', 'cursor', 'link']).default('page'),
  /** Records per request. */
  pageSize: positiveInt.max(100_000).default(1000),
  /** Where the records sit in a response body (dotted path). */
  recordsPath: z.string().min(1).default('data'),
  /** The field that identifies a record: the deduplication key. */
  keyField: z.string().min(1).default('id'),
  /** Stop after this many pages (a safety net against endless pagination). */
  maxPages: positiveInt.default(1_000_000),
  /** How requests authenticate: login for a JWT, a static bearer token, or none. */
  auth: z.enum(['login', 'bearer', 'none']).default('login'),
  loginPath: z.string().startsWith('/', 'expected a path starting with "/"').default('/login'),
  username: z.string().min(1).optional(),
  /** Secret: only from INGEST_PASSWORD or passwordFile. */
  password: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  /** Secret: only from INGEST_TOKEN or tokenFile. */
  token: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  /** Name of the dataset in keys and reports; defaults to the endpoint's last segment. */
  dataset: name.optional(),
  /** Run id; defaults to `<dataset>-<ingestDate>`. The same id resumes the same run. */
  runId: name.optional(),
  /** Partition date; defaults to today (UTC). */
  ingestDate: isoDate.optional(),
  format: z.enum(['parquet', 'ndjson', 'csv', 'json']).default('parquet'),
  /** none = ELT (land what the API sent); clean = ETL (validate and normalise, rejects aside). */
  transform: z.enum(['none', 'clean']).default('none'),
  /** Where staging databases, final files and reports go. */
  dataDir: z.string().min(1).default('data'),
  duckdbMemoryLimit: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'expected a size like 512MB').default('1GB'),
  duckdbTempDir: z.string().min(1).optional(),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, "." or "-")'),
  prefix: z.string().regex(/^(?!\/)[^\\]*$/, 'expected a key prefix without a leading "/"').default(''),
  s3Endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  s3Region: z.string().min(1).default('us-east-1'),
  s3ForcePathStyle: bool.default(false),
  /** Object key template; placeholders {prefix} {dataset} {ingest_date} {run_id} {ext} {yyyy} {mm} {dd}. */
  keyTemplate: z.string().min(1).optional(),
  checksum: z.enum(['CRC32C', 'SHA256']).default('CRC32C'),
  /** Known request rate limit (requests/s); learned from the server when absent. */
  rateLimit: positive.optional(),
  /** Never send faster than this (requests/s). */
  maxRate: positive.optional(),
  /** Failures allowed per page before the run fails (429 and 401 not counted). */
  maxAttemptsPerPage: positiveInt.max(100).default(8),
  /** Retries may not exceed this share of requests. */
  maxRetryShare: z.coerce.number().gt(0).max(1).default(0.5),
  /** The longest server-requested wait (Retry-After) that is honoured; longer fails the run. */
  maxWaitSeconds: positive.default(300),
  /** Per-attempt timeout; adaptive from latency when absent. */
  timeoutSeconds: positive.optional(),
  /** The whole run's deadline. */
  deadlineSeconds: positive.optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  logDir: z.string().min(1).default('logs'),
});

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/** Keys that hold secrets: accepted from env and files only, never from flags, never echoed. */
export const secretKeys = ['password', 'token'] as const;
