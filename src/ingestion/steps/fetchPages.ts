import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import type { Pacer } from '../../pacing/pacer.js';
import { pageStream, type PageStream } from '../../paging/pageStream.js';
import { clockScheduler } from '../../runtime/clockScheduler.js';
import { credentialQuery, resourceUrl } from '../../config/sourceFile.js';
import type { FetchPagesInput } from '../../run/runTypes.js';
import type { RunResume } from '../readResume.js';
import type { RunServices } from '../runServices.js';

/** The page stream of the whole fetch phase: every page not committed before is fetched and staged. */
export function fetchPages(
  config: ResolvedRunConfig,
  { runtime, auth, store, recordSecrets }: RunServices,
  resume: RunResume,
  pacer: Pacer,
): (input: FetchPagesInput, signal: AbortSignal) => PageStream {
  const { maxRecordBytes, maxRecordDepth, maxRecordKeys } = config;
  const limits = { maxRecordBytes, maxRecordDepth, maxRecordKeys };
  return (_input, signal) =>
    pageStream(
      {
        url: resourceUrl(config.api, config.resource),
        paginator: config.resource.paginator,
        records: config.resource.records,
        headers: config.resource.headers,
        credentialQuery: credentialQuery(config.api),
        followHosts: config.api.followHosts,
        keyField: config.resource.primaryKey,
        resume: resume.point,
        signal,
        // The run options, under the same names and units.
        maxPages: config.maxPages,
        maxAttemptsPerPage: config.maxAttemptsPerPage,
        maxWaitSeconds: config.maxWaitSeconds,
        timeoutSeconds: config.timeoutSeconds,
        deadlineSeconds: config.deadlineSeconds,
        maxRetryShare: config.maxRetryShare,
        maxBodyBytes: config.maxBodyBytes,
        keepRawRecords: true,
        recordLimits: limits,
        recordSecrets: recordSecrets?.pattern,
      },
      {
        runtime,
        auth,
        scheduler: clockScheduler(runtime.clock),
        pacer,
        stage: async (pages) => {
          const before = store.stagingTime;
          // The page stream cuts each record's text from a body it checked is JSON, and checks each record against the limits.
          await store.stagePages(
            pages.map((page) => ({
              ...page,
              keyField: config.resource.primaryKey,
              limits,
              rawRecordsParsed: true,
              ...(recordSecrets ? { secrets: recordSecrets } : {}),
            })),
          );
          const after = store.stagingTime;
          return {
            transactions: after.transactions - before.transactions,
            appendMs: after.appendMs - before.appendMs,
            checkpointMs: after.checkpointMs - before.checkpointMs,
            commitMs: after.commitMs - before.commitMs,
          };
        },
      },
    );
}
