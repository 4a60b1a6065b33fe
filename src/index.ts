// The main entry, `ingest`: what a Node script needs to run and observe an ingestion. The
// building blocks have sub-path entries (src/entries/, package.json `exports`): `ingest/paging`,
// `ingest/machine`, `ingest/devtools`, `ingest/staging`, `ingest/output`, `ingest/storage`,
// `ingest/report`, `ingest/simulator`, `ingest/local-s3`. test/architecture/publicSurface.test.ts
// holds the expected lists: a change to the surface is made there too, on purpose.

// Running an ingestion
export { runIngestion, type RunIngestionContext, type S3Credentials } from './ingestion/runIngestion.js';
export { runSource, type SourceReport } from './ingestion/runSource.js';
export type { SourceReportOutcome } from './ingestion/writeSourceReport.js';
export {
  loadRunConfig,
  resolveRunConfig,
  resolveRunOptions,
  type ResolvedRun,
  type ResolvedRunConfig,
  type RunConfigSources,
} from './config/loadRunConfig.js';
export type { SourceSpecInput, ResourceSpec, ApiSpec } from './config/sourceFile.js';
export type { AuthSpecInput, PaginatorInput, DeclaredSchemaInput, FieldRule } from './config/sourceSpec.js';
export {
  runConfigSchema,
  runOptionHelp,
  runOptionDefaults,
  type RunConfig,
  type RunConfigInput,
  type RunOptions,
} from './config/runConfig.js';
export type { RunReport, StateVisit, ColumnQuality } from './report/runReport.js';
export type { SourceRunReport, ResourceSection, SourceTotals } from './report/sourceRunReport.js';
export type { StreamEvent } from './paging/streamEvent.js';
export type { RunCounters, RequestCounters } from './run/runTypes.js';

// Errors: every error a caller of this package (any entry) can receive, each with its type guard,
// which also recognises errors from another copy of the package (src/errors.ts says how).
export {
  IngestError,
  isIngestError,
  ConfigError,
  isConfigError,
  HttpStatusError,
  isHttpStatusError,
  ResponseTooLargeError,
  isResponseTooLargeError,
  RateLimitError,
  isRateLimitError,
  AuthError,
  isAuthError,
  TimeoutError,
  isTimeoutError,
  UploadError,
  isUploadError,
  type ErrorGuard,
} from './errors.js';
export { PagingError, isPagingError } from './paging/pagingError.js';
export { RetryLimitError, isRetryLimitError, type AttemptFailureNote } from './http/retryLimitError.js';
export { OutputError, isOutputError } from './output/writeFinalFile.js';
export { StagingError, isStagingError, RunLockedError, isRunLockedError } from './staging/stagingErrors.js';

// Runtime: time, randomness, fetch and logger, injected
export { createRuntime, type Runtime, type Fetch, type FetchResponse } from './runtime/runtime.js';
export { realClock, type Clock } from './runtime/clock.js';
export { SimulatedClock } from './runtime/simulatedClock.js';
export { seededRandom, type Random } from './runtime/random.js';

// Logging and auth
export { createAppLogger, loggerFor, registerSecret, type AppLogger, type AppLoggerOptions } from './logging/index.js';
export { AuthClient, NoAuth, StaticBearerAuth, type AuthClientOptions, type AuthEvent, type AuthProvider } from './auth/index.js';
