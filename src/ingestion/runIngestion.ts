import { forResource, resolveRunOptions } from '../config/loadRunConfig.js';
import type { RunConfigInput } from '../config/runConfig.js';
import { ConfigError } from '../errors.js';
import type { RunReport } from '../report/runReport.js';
import { createRuntime } from '../runtime/runtime.js';
import type { RunIngestionContext } from './runIngestionContext.js';
import { runResource } from './runResource.js';
import { withApiPacer } from './withApiPacer.js';

export type { RunIngestionContext, S3Credentials } from './runIngestionContext.js';

/**
 * One ingestion run of one resource (the flags' endpoint, or a source with one resource): every
 * record staged in DuckDB page by page, one final file written from it, delivered to S3 and
 * verified, and the report written. Resolves to the report, for a failed run too; rejects only
 * with a ConfigError (nothing fetched) or when the run id is already running elsewhere. A source
 * with several resources is run by `runSource`.
 */
export async function runIngestion(options: RunConfigInput, context: RunIngestionContext = {}): Promise<RunReport> {
  const runtime = createRuntime(context.runtime);
  const run = await resolveRunOptions(options, new Date(runtime.clock.now()));
  if (run.resources.length !== 1)
    throw new ConfigError([`source: ${run.resources.length} resources; runIngestion runs one, runSource runs them all`]);
  return withApiPacer(run, runtime, (pacer) => runResource(forResource(run, run.resources[0]!), runtime, context, pacer));
}
