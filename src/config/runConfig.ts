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
  apiUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  endpoint: z.string().startsWith('/', 'expected a path starting with "/"').default('/customers'),
  pagination: z.enum(['page', 'offset', 'cursor', 'link']).default('page'),
  pageSize: positiveInt.max(100_000).default(1000),
  recordsPath: z.string().min(1).default('data'),
  keyField: z.string().min(1).default('id'),
  maxPages: positiveInt.default(1_000_000),
  auth: z.enum(['login', 'bearer', 'none']).default('login'),
  loginPath: z.string().startsWith('/', 'expected a path starting with "/"').default('/login'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  passwordFile: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  dataset: name.optional(),
  runId: name.optional(),
  ingestDate: isoDate.optional(),
  format: z.enum(['parquet', 'ndjson', 'csv', 'json']).default('parquet'),
  transform: z.enum(['none', 'clean']).default('none'),
  dataDir: z.string().min(1).default('data'),
  duckdbMemoryLimit: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'expected a size like 512MB')
    .default('64MB'),
  duckdbTempDir: z.string().min(1).optional(),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, "." or "-")'),
  prefix: z
    .string()
    .regex(/^(?!\/)[^\\]*$/, 'expected a key prefix without a leading "/"')
    .default(''),
  s3Endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  s3Region: z.string().min(1).default('us-east-1'),
  s3ForcePathStyle: bool.default(false),
  keyTemplate: z.string().min(1).optional(),
  checksum: z.enum(['CRC32C', 'SHA256']).default('CRC32C'),
  s3PartSizeMb: positiveInt.min(5).max(5120).optional(),
  rateLimit: positive.optional(),
  maxRate: positive.optional(),
  maxAttemptsPerPage: positiveInt.max(100).default(8),
  maxRetryShare: z.coerce.number().gt(0).max(1).default(0.5),
  maxWaitSeconds: positive.default(300),
  timeoutSeconds: positive.optional(),
  deadlineSeconds: positive.optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  logDir: z.string().min(1).default('logs'),
});

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/** One line of help per option: `ingest run --help` and the README's reference are built from it. */
export const runOptionHelp: Readonly<Record<keyof RunConfig, string>> = {
  apiUrl: 'base URL of the API (required)',
  endpoint: 'path of the endpoint to ingest',
  pagination: 'how the endpoint paginates: page (page number + metadata), offset, cursor, link (Link rel="next")',
  pageSize: 'records per request',
  recordsPath: 'dotted path of the records in a response body',
  keyField: 'the field that identifies a record (deduplication key)',
  maxPages: 'stop with an error after this many pages (a guard against endless pagination)',
  auth: 'login (POST loginPath for a JWT), bearer (a static token) or none',
  loginPath: 'path of the login endpoint',
  username: 'login user name',
  password: 'login password: only from INGEST_PASSWORD or passwordFile',
  passwordFile: 'file holding the login password',
  token: 'static bearer token: only from INGEST_TOKEN or tokenFile',
  tokenFile: 'file holding the static bearer token',
  dataset: "dataset name in keys and reports (default: the endpoint's last segment)",
  runId: 'run id (default: <dataset>-<ingestDate>); the same id resumes the same run',
  ingestDate: 'partition date YYYY-MM-DD (default: today, UTC)',
  format: 'final file format: parquet (zstd), ndjson, csv or json',
  transform: 'none = ELT (land what the API sent); clean = ETL (normalise, rejects aside)',
  dataDir: 'directory for staging databases, final files and reports',
  duckdbMemoryLimit: "DuckDB's memory limit (it spills to disk beyond it), e.g. 512MB",
  duckdbTempDir: "DuckDB's spill directory (default: beside the staging database)",
  bucket: 'S3 bucket to deliver to (required)',
  prefix: 'key prefix inside the bucket',
  s3Endpoint: 'S3-compatible endpoint URL (MinIO, s3rver, moto); default AWS',
  s3Region: 'S3 region',
  s3ForcePathStyle: 'path-style addressing (most S3-compatible servers need it)',
  keyTemplate: 'object key template: {prefix} {dataset} {ingest_date} {run_id} {ext} {yyyy} {mm} {dd}',
  checksum: 'object checksum: CRC32C or SHA256',
  s3PartSizeMb: 'multipart part size in MiB, 5 to 5120 (default 5, grown for files beyond 10,000 parts); a file up to it goes in one PUT',
  rateLimit: 'known request rate limit in requests/s (learned from the server when absent)',
  maxRate: 'never send faster than this many requests/s',
  maxAttemptsPerPage: 'failures allowed per page before the run fails (429 and 401 not counted)',
  maxRetryShare: 'the run fails when retries exceed this share of requests',
  maxWaitSeconds: 'longest server-requested wait honoured; a longer Retry-After fails the run',
  timeoutSeconds: 'per-attempt timeout (default: adaptive from measured latency)',
  deadlineSeconds: "the whole run's deadline",
  logLevel: 'console log level',
  logDir: 'directory of the rotating error log (app.log)',
};

/** Keys that hold secrets: accepted from env and files only, never from flags, never echoed. */
export const secretKeys = ['password', 'token'] as const;
