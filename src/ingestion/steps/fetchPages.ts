import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import { pageStream, type PageStream } from '../../paging/pageStream.js';
import { clockScheduler } from '../../runtime/clockScheduler.js';
import { pagingFor } from '../pagingFor.js';
import type { FetchPagesInput } from '../../run/runTypes.js';
import type { RunResume } from '../readResume.js';
import type { RunServices } from '../runServices.js';

/** Pages held at once (in flight or awaiting staging); a calm API needs no more to run at full speed. */
const maxPagesInMemory = 16;

/** The page stream of the whole fetch phase: every page not committed before is fetched and staged. */
export function fetchPages(
  config: ResolvedRunConfig,
  { runtime, auth, store }: RunServices,
  resume: RunResume,
): (input: FetchPagesInput, signal: AbortSignal) => PageStream {
  return (_input, signal) =>
    pageStream(
      {
        url: new URL(config.endpoint.replace(/^\//, ''), config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`).toString(),
        paging: pagingFor(config),
        resume: resume.point,
        signal,
        maxPages: config.maxPages,
        maxFailuresPerPage: config.maxAttemptsPerPage,
        maxWaitMs: config.maxWaitSeconds * 1000,
        keepRawRecords: true,
        // Each slot holds a page from request until staged: this bounds the memory of the fetch phase.
        maxInFlight: maxPagesInMemory,
        ...(config.deadlineSeconds ? { deadlineMs: config.deadlineSeconds * 1000 } : {}),
        rateLimit: {
          ...(config.rateLimit ? { limit: config.rateLimit } : {}),
          ...(config.maxRate ? { hardCap: config.maxRate } : {}),
        },
        retryBudget: { maxRetryShare: config.maxRetryShare },
      },
      {
        runtime,
        auth,
        scheduler: clockScheduler(runtime.clock),
        stage: async (page) => {
          await store.stagePage({ ...page, keyField: config.keyField });
        },
      },
    );
}
