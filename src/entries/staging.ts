// `ingest/staging`: the DuckDB staging store of a run (its errors: StagingError, RunLockedError in `ingest`).
export { StagingStore, stagingReport, type StagingStoreOptions, type StagePageInput, type StagingReport } from '../staging/index.js';
