import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import { checkBucketAccess } from '../../storage/index.js';
import { checkPartitionFree } from '../checkPartitionFree.js';
import type { IngestionRunDeps } from '../provideIngestionRun.js';
import type { RunServices } from '../runServices.js';

/**
 * Reachable bucket, a partition free for this run and valid credentials, before any page is
 * fetched. The login and the store's checks ask different servers: they run together (the
 * `hostile` bench's 0.14-0.2 s before its first page were both in turn). A refusal from the store
 * stops the login and is the run's failure, as when the login waited for the checks.
 */
export function prepare(config: ResolvedRunConfig, services: RunServices): IngestionRunDeps['prepare'] {
  const { runtime, s3, auth } = services;
  return async (_input, signal) => {
    const store = new AbortController();
    const login = auth.getAuthHeader(signal === undefined ? store.signal : AbortSignal.any([signal, store.signal]));
    login.catch(() => undefined);
    try {
      // Write access is proven by the upload itself: a write probe would leave an unabortable
      // multipart upload on stores like s3rver. Real I/O is tracked so that a simulated clock
      // stands still meanwhile; the login is not: it waits on the clock.
      await runtime.clock.track(checkBucketAccess(s3, config.bucket, { signal }));
      await runtime.clock.track(checkPartitionFree(config, services, signal));
    } catch (error: unknown) {
      store.abort(error);
      throw error;
    }
    await login;
  };
}
