import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import { crashPoint } from '../../faults/crashPoint.js';
import { outputFormats } from '../../config/formats.js';
import { schemaPathFor } from '../../output/index.js';
import { deliverFile } from '../../storage/index.js';
import { checkPartitionFree } from '../checkPartitionFree.js';
import { fileSchemaAt, recordDatasetSchema } from '../datasetSchemaStore.js';
import type { IngestionRunDeps } from '../provideIngestionRun.js';
import type { RunServices } from '../runServices.js';
import type { StagingFigures } from '../stagingFigures.js';

/**
 * The file delivered to its key without overwriting, verified, and recorded in the checkpoint;
 * the report's figures are computed meanwhile.
 */
export function upload(config: ResolvedRunConfig, services: RunServices, figures: StagingFigures): IngestionRunDeps['uploadFile'] {
  const { runtime, logger, s3, store, keys } = services;
  return async ({ file }, signal) => {
    // What the writer (or a resume's counts) left: the upload's buffers and the report come on top of it.
    await store.releaseMemoryIfLarge();
    figures.start();
    // Again: a run of another id may have delivered since this one started.
    await runtime.clock.track(checkPartitionFree(config, services, signal));
    const delivery = await runtime.clock.track(
      deliverFile({
        client: s3,
        bucket: config.bucket,
        key: keys.data,
        filePath: file.path,
        checksum: config.checksum,
        sha256: file.sha256,
        ...(config.checksum === 'CRC32C' ? { crc32c: file.checksum } : {}),
        contentType: outputFormats[config.format].contentType,
        metadata: { 'run-id': config.runId, dataset: config.dataset, 'ingest-date': config.ingestDate },
        ...(config.s3PartSizeMb ? { partSize: config.s3PartSizeMb * 1024 * 1024 } : {}),
        signal,
        logger,
      }),
    );
    // The delivered ELT file's schema becomes the dataset's: the next run keeps its types and names.
    const schema = config.transform === 'none' ? await runtime.clock.track(fileSchemaAt(schemaPathFor(file.path))) : undefined;
    if (schema) await runtime.clock.track(recordDatasetSchema(config, services, schema, signal));
    crashPoint('upload.afterUpload');
    await store.recordUpload({ uri: delivery.uri, etag: delivery.etag ?? null });
    return { uri: delivery.uri, status: delivery.status, verifiedBy: delivery.verifiedBy };
  };
}
