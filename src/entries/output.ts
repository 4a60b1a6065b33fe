// `ingest/output`: the final file, written from a staging store (its error: OutputError in `ingest`).
export { writeFinalFile, type WriteFinalFileOptions, type FinalFile, type OutputFormat, type Transform } from '../output/index.js';
