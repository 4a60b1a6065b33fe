export { writeFinalFile, rejectsPathFor, OutputError } from './writeFinalFile.js';
export type { WriteFinalFileOptions, FinalFile, Transform } from './writeFinalFile.js';
export type { OutputFormat } from './renderColumns.js';
export { customerCleanSchema, orderCleanSchema } from './cleanColumns.js';
export type { FieldRule } from './cleanColumns.js';
export { fileChecksums } from './fileChecksums.js';
export type { FileChecksums } from './fileChecksums.js';
export { escapeCsvCell, unescapeCsvCell } from './csvSafety.js';
export { isOutputIntact } from './isOutputIntact.js';
