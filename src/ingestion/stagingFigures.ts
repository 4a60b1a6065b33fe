import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { stagingReport, type RuleCounts, type StagingReport } from '../output/index.js';
import type { StagingStore } from '../staging/index.js';

/** The report's figures over the staged records, which may be computed ahead of the report. */
export interface StagingFigures {
  /** The rules' checks as the final file counted them: the figures do not scan the records for them. */
  counted(counts: RuleCounts): void;
  /** Starts computing them: what staging holds no longer changes, and the upload waits on the network meanwhile. */
  start(): void;
  /** The figures started, or computed now; a start that failed is tried again, so starting early never fails a report. */
  get(): Promise<StagingReport>;
}

export function stagingFigures(
  store: StagingStore,
  { schema, primaryKey }: Pick<ResolvedRunConfig['resource'], 'schema' | 'primaryKey'>,
): StagingFigures {
  let counts: RuleCounts | undefined;
  const compute = (): Promise<StagingReport> => stagingReport(store, schema, primaryKey, counts);
  let started: Promise<StagingReport> | undefined;
  return {
    counted(counted) {
      counts = counted;
    },
    start() {
      if (started !== undefined) return;
      started = compute();
      started.catch(() => undefined);
    },
    get() {
      const early = started;
      started = undefined;
      return early === undefined ? compute() : early.catch(compute);
    },
  };
}
