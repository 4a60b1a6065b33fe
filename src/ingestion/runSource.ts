import { forResource, resolveRunOptions, type ResolvedRun } from '../config/loadRunConfig.js';
import type { RunConfigInput } from '../config/runConfig.js';
import type { RunReport } from '../report/runReport.js';
import { sourceStatus } from '../report/sourceRunReport.js';
import { createRuntime, type Runtime } from '../runtime/runtime.js';
import type { RunIngestionContext } from './runIngestionContext.js';
import { runResource } from './runResource.js';
import { withApiPacer } from './withApiPacer.js';
import { writeSourceReport, type SourceReportOutcome } from './writeSourceReport.js';

/** A source's run: one report per resource, and the run's outcome over them all. */
export interface SourceReport {
  readonly runId: string;
  /** Succeeded when every resource did; failed when one failed; cancelled when stopped and none failed. */
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  /** In the source's order. */
  readonly resources: readonly RunReport[];
  /** The source's own run report, for a source of several resources: its files, objects, or why not. */
  readonly sourceReport?: SourceReportOutcome;
}

/**
 * Every resource of a source (or the flags' one endpoint), run concurrently: each its own staging
 * checkpoint, object and report, all within the API's one rate limit; several resources add the
 * source's run report over them all. A failed resource does not stop the others; a rerun with
 * the same run id resumes each from its own checkpoint, and a delivered one is not fetched again.
 */
export async function runSource(options: RunConfigInput, context: RunIngestionContext = {}): Promise<SourceReport> {
  const runtime = createRuntime(context.runtime);
  return runResolvedSource(await resolveRunOptions(options, new Date(runtime.clock.now())), runtime, context);
}

/** `runSource` for options already resolved (the CLI resolves them to show its errors first). */
export async function runResolvedSource(run: ResolvedRun, runtime: Runtime, context: RunIngestionContext): Promise<SourceReport> {
  const settled = await withApiPacer(run, runtime, (pacer) =>
    Promise.allSettled(run.resources.map((resource) => runResource(forResource(run, resource), runtime, context, pacer))),
  );
  // A resource that could not start (its run id locked elsewhere) ends the source's run, once the others are over.
  const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (refused) throw refused.reason;
  const resources = settled.map((s) => (s as PromiseFulfilledResult<RunReport>).value);
  const status = sourceStatus(resources.map((r) => r.status));
  if (resources.length < 2) return { runId: run.runId, status, resources };
  return { runId: run.runId, status, resources, sourceReport: await writeSourceReport(run, resources, runtime, context) };
}
