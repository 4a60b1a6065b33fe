import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import { writeFinalFile } from '../../output/index.js';
import { readDatasetSchema } from '../datasetSchemaStore.js';
import { landedSchemaFor } from '../landedSchemaFor.js';
import type { IngestionRunDeps } from '../provideIngestionRun.js';
import type { RunServices } from '../runServices.js';
import type { StagingFigures } from '../stagingFigures.js';
import { storeChecksum } from '../storeChecksum.js';

/**
 * The one final file, written from the staged pages, and recorded as this run's output; the rules'
 * checks it counted are the report's figures.
 */
export function writeFile(config: ResolvedRunConfig, services: RunServices, figures: StagingFigures): IngestionRunDeps['writeFinalFile'] {
  const { runtime, store, paths } = services;
  return async (_input, signal) => {
    // ELT keeps the dataset's stored schema (ETL's is its cleaning rules).
    const previousSchema = config.transform === 'none' ? await runtime.clock.track(readDatasetSchema(config, services, signal)) : undefined;
    // Staging leaves DuckDB holding memory that grows with the records staged; the writer starts without it.
    await store.releaseMemoryIfLarge();
    const cleanSchema = config.resource.schema;
    const file = await runtime.clock.track(
      writeFinalFile(store, {
        format: config.format,
        path: paths.output,
        transform: config.transform,
        keyField: config.resource.primaryKey,
        cleanSchema,
        maxRejectShare: config.maxRejectShare,
        ...(previousSchema ? { previousSchema } : {}),
        // ETL's schema is the declared one; ELT would have only the lineage columns without records.
        ...(config.transform === 'none' ? { expectedSchema: landedSchemaFor(cleanSchema) } : {}),
      }),
    );
    await store.recordOutput(file);
    if (file.invalid) figures.counted({ invalid: file.invalid, rejected: file.rejected });
    return {
      format: file.format,
      path: file.path,
      bytes: file.bytes,
      rows: file.rows,
      sha256: file.sha256,
      checksum: storeChecksum(file, config.checksum),
      duplicatesDropped: file.duplicatesDropped,
      rejected: file.rejected,
      withoutKey: file.withoutKey,
      refused: file.refused,
      ...(file.rejectsPath === undefined ? {} : { rejectsPath: file.rejectsPath }),
    };
  };
}
