import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { UploadError } from '../errors.js';
import { dayDataKeyPattern, describeS3Error, listKeysMatching, s3ErrorInfo, safeCause, type StoredKey } from '../storage/index.js';
import type { RunServices } from './runServices.js';

/**
 * A partition holds one data file: fails when the store already holds another run's data file of
 * this dataset and day (any run id, any format), naming it and what to do. Checked before the
 * first request and again just before the upload.
 */
export async function checkPartitionFree(
  config: ResolvedRunConfig,
  { s3, keys, logger }: Pick<RunServices, 's3' | 'keys' | 'logger'>,
  signal?: AbortSignal,
): Promise<void> {
  const where = dayDataKeyPattern({ prefix: config.prefix, dataset: config.dataset, ingestDate: config.ingestDate }, config.keyTemplate);
  if (where === undefined) return;
  let stored: StoredKey[];
  try {
    stored = await listKeysMatching(s3, config.bucket, where, signal);
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    // Credentials that may write but not list: the rule cannot be checked, which is no reason to stop.
    if (s3ErrorInfo(error).status === 403) {
      logger.warn(
        { bucket: config.bucket, prefix: where.listPrefix },
        "listing the partition is refused: another run's data file in it cannot be detected",
      );
      return;
    }
    throw new UploadError(`cannot list s3://${config.bucket}/${where.listPrefix}: ${describeS3Error(error)}`, { cause: safeCause(error) });
  }
  const other = stored.find(({ key }) => key !== keys.data);
  if (other === undefined) return;
  throw new UploadError(
    `s3://${config.bucket}/${other.key} is another run's data file of ${config.dataset} for ${config.ingestDate}, and a partition holds one data file: ` +
      `resume that run with its own --run-id, or delete that object to ingest the day again as ${config.runId}`,
  );
}
