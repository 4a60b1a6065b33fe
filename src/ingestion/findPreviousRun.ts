import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { previousRunFrom } from '../report/previousRun.js';
import type { ColumnQuality, PreviousRun } from '../report/runReport.js';
import { listKeysMatching, readObjectText, reportKeyPattern } from '../storage/index.js';

/** Reports read at most: past them, earlier runs are too many failures back to be a baseline. */
const MAX_READS = 5;

export interface FindPreviousRunOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly dataset: string;
  /** This run's own report key: a rerun of the same run id is not its own previous run. */
  readonly ownKey: string;
  readonly quality: readonly ColumnQuality[];
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * The latest earlier successful run of the dataset, from its JSON report in the store. Anything
 * that goes wrong (no report, no list permission, a damaged object) means no comparison: logged
 * at debug, never a failure of the run.
 */
export async function findPreviousRun(options: FindPreviousRunOptions): Promise<PreviousRun | undefined> {
  const { client, bucket, dataset, logger, signal } = options;
  try {
    const stored = await listKeysMatching(client, bucket, reportKeyPattern({ prefix: options.prefix, dataset }), signal);
    for (const { key } of stored.filter((s) => s.key !== options.ownKey).slice(0, MAX_READS)) {
      const text = await readObjectText(client, bucket, key, signal).catch((error: unknown) => {
        logger.debug({ err: error, key }, 'an earlier report cannot be read');
        return '';
      });
      const previous = previousRunFrom(text, `s3://${bucket}/${key}`, dataset, options.quality);
      if (previous) return previous;
    }
    logger.debug({ dataset, reports: stored.length }, 'no earlier successful report of the dataset: no comparison');
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    logger.debug({ err: error, dataset }, 'earlier reports cannot be listed: no comparison');
  }
  return undefined;
}
