// The library's public surface: everything a Node script needs to run, observe, test and
// benchmark ingestions. Internals stay importable by path but are not promised here.

// Running an ingestion
export { runIngestion, type RunIngestionContext, type S3Credentials } from './ingestion/runIngestion.js';
export { loadRunConfig, resolveRunConfig, type ResolvedRunConfig, type RunConfigSources } from './config/loadRunConfig.js';
export { runConfigSchema, runOptionHelp, runOptionDefaults, type RunConfig, type RunConfigInput, type RunOptions } from './config/runConfig.js';
export type { RunReport, StateVisit, ColumnQuality } from './report/runReport.js';
export type { StreamEvent } from './paging/streamEvent.js';

// Errors
export { IngestError, HttpStatusError, RateLimitError, AuthError, TimeoutError, UploadError, ConfigError } from './errors.js';

// Runtime: time, randomness, fetch and logger, injected
export { createRuntime, type Runtime, type Fetch } from './runtime/runtime.js';
export { realClock, type Clock } from './runtime/clock.js';
export { SimulatedClock } from './runtime/simulatedClock.js';
export { clockScheduler } from './runtime/clockScheduler.js';
export { seededRandom, type Random } from './runtime/random.js';

// Logging and auth
export { createAppLogger, loggerFor, registerSecret, type AppLogger, type AppLoggerOptions } from './logging/index.js';
export { AuthClient, NoAuth, StaticBearerAuth, type AuthClientOptions, type AuthProvider } from './auth/index.js';

// The building blocks of a run
export { pageStream, type PageStream } from './paging/pageStream.js';
export type { PageStreamOptions, PageStreamDeps, StagedPage } from './paging/pageStreamOptions.js';
export type { PagingStrategy } from './paging/pagingStrategy.js';
export { ingestionRun } from '../machines/ingestionRun.js';
export { machineToMermaid } from './devtools/diagram.js';
export { createStatelyInspector } from './devtools/statelyInspector.js';
export { StagingStore } from './staging/index.js';
export { writeFinalFile, stagingReport, type FinalFile, type OutputFormat } from './output/index.js';
export { createS3Client, deliverFile, checkBucketAccess, renderKey } from './storage/index.js';
export { renderMarkdown } from './report/renderMarkdown.js';
export { renderSummary } from './report/renderSummary.js';
export { renderHtml } from './report/renderHtml.js';
export { writeReportFiles } from './report/writeReportFiles.js';

// The unstable API simulator
export {
  startSimulator,
  createSimulatorFetch,
  expectedCustomers,
  expectedOrders,
  simulatorProfiles,
  type SimulatorOptions,
  type RunningSimulator,
  type SimulatorStats,
} from './simulator/index.js';
