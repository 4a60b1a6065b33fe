export { StagingStore } from './StagingStore.js';
export type {
  StagingStoreOptions,
  StagePageInput,
  StagePageResult,
  StagingTime,
  Checkpoint,
  StagingCounts,
  RunStatus,
  RunState,
  OutputRecord,
  UploadRecord,
  RunOptionValues,
  OnConflict,
} from './stagingTypes.js';
export { StagingError, RunLockedError } from './stagingErrors.js';
export { recordKey } from './recordKey.js';
export { recordSecrets, secretsInRecord, type RecordSecrets, type SecretsFound } from './recordSecrets.js';
export type { StagedRecords, StagedRecordsSource, UniqueRecords } from './stagedRecords.js';
export type { ConflictingKey, VersionConflicts } from './uniqueRecords.js';
export type { FieldSql, RecordShape } from './recordFields.js';
export { queryFile, type QueryResult } from './queryFile.js';
