import { readFile } from 'node:fs/promises';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { mergeSchemas, parseDatasetSchema, type FileSchema } from '../output/index.js';
import type { SchemaColumn } from '../report/runReport.js';
import { readStoredText, StoreChangedError, writeStoredText } from '../storage/index.js';
import type { RunServices } from './runServices.js';

/** How often a schema write is retried after another run changed the schema meanwhile. */
const WRITE_ATTEMPTS = 3;

/** The dataset's stored schema (ELT reads it before writing its file); undefined on the dataset's first run. */
export async function readDatasetSchema(
  config: ResolvedRunConfig,
  { s3, keys }: Pick<RunServices, 's3' | 'keys'>,
  signal?: AbortSignal,
): Promise<SchemaColumn[] | undefined> {
  const stored = await readStoredText(s3, config.bucket, keys.schema, signal);
  return stored && parseDatasetSchema(stored.text, `s3://${config.bucket}/${keys.schema}`);
}

/** The schema an ELT file was written with (its `<name>.schema.json`), or undefined for ETL. */
export async function fileSchemaAt(path: string): Promise<FileSchema | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as FileSchema);
}

/**
 * Records the delivered file's schema as the dataset's: the stored columns with this file's new
 * ones added, replaced only if nobody changed it since it was read (else read, merge, retry).
 */
export async function recordDatasetSchema(
  config: ResolvedRunConfig,
  { s3, keys }: Pick<RunServices, 's3' | 'keys'>,
  file: FileSchema,
  signal?: AbortSignal,
): Promise<void> {
  const where = `s3://${config.bucket}/${keys.schema}`;
  for (let attempt = 1; ; attempt++) {
    const stored = await readStoredText(s3, config.bucket, keys.schema, signal);
    const columns = mergeSchemas(stored ? parseDatasetSchema(stored.text, where) : [], file.columns);
    const text = `${JSON.stringify({ dataset: config.dataset, columns }, null, 2)}\n`;
    if (stored?.text === text) return;
    try {
      return await writeStoredText(s3, config.bucket, keys.schema, text, stored, signal);
    } catch (error: unknown) {
      if (!(error instanceof StoreChangedError) || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}
