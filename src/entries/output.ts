// `ingest/output`: the final file, written from a staging store (its error: OutputError in `ingest`).
export {
  writeFinalFile,
  stagingReport,
  type WriteFinalFileOptions,
  type FinalFile,
  type OutputFormat,
  type Transform,
  type StagingReport,
} from '../output/index.js';
