// `ingest/staging`: the DuckDB staging store of a run (its errors: StagingError, RunLockedError in `ingest`).
export { StagingStore, type StagingStoreOptions, type StagePageInput } from '../staging/index.js';
