import { tap } from 'rxjs';
import { resolveRunOptions } from '../config/loadRunConfig.js';
import type { RunConfigInput } from '../config/runConfig.js';
import type { RunReport } from '../report/runReport.js';
import { createRuntime } from '../runtime/runtime.js';
import type { IngestionRunDeps } from './provideIngestionRun.js';
import { runIngestionMachine } from './provideIngestionRun.js';
import { readResume } from './readResume.js';
import type { RunIngestionContext } from './runIngestionContext.js';
import type { Inspect } from './runMachine.js';
import { closeRunServices, openRunServices } from './runServices.js';
import { runObserver } from './runObserver.js';
import { fetchPages } from './steps/fetchPages.js';
import { prepare } from './steps/prepare.js';
import { upload } from './steps/upload.js';
import { writeFile } from './steps/writeFile.js';
import { writeReport } from './steps/writeReport.js';

export type { RunIngestionContext, S3Credentials } from './runIngestionContext.js';

/**
 * One ingestion run: every record of the endpoint staged in DuckDB page by page, one final
 * file written from it, delivered to S3 and verified, and the report written. Resolves to the
 * report, for a failed run too; rejects only with a ConfigError (nothing fetched) or when the
 * run id is already running elsewhere.
 */
export async function runIngestion(options: RunConfigInput, context: RunIngestionContext = {}): Promise<RunReport> {
  const runtime = createRuntime(context.runtime);
  const config = await resolveRunOptions(options, new Date(runtime.clock.now()));
  const services = await openRunServices(config, runtime, context.s3Credentials);
  try {
    const resume = await readResume(config, services.store);
    if (resume.state.pagesStaged)
      services.logger.info({ runId: config.runId, pages: resume.state.pagesStaged }, 'resuming: committed pages are not fetched again');
    const streamPages = fetchPages(config, services, resume);
    const steps: IngestionRunDeps = {
      prepare: prepare(config, services),
      fetchPages: (input, signal) => {
        const stream = streamPages(input, signal);
        return context.onEvent ? stream.pipe(tap(context.onEvent)) : stream;
      },
      writeFinalFile: writeFile(config, services),
      uploadFile: upload(config, services),
      writeReport: writeReport(config, services, resume.state),
    };
    const extra = context.inspect === undefined ? [] : Array.isArray(context.inspect) ? context.inspect : [context.inspect as Inspect];
    const observe =
      context.onState || context.onCounters ? [runObserver({ onState: context.onState, onCounters: context.onCounters })] : [];
    const inspect = [...observe, ...extra];
    const { runId, dataset, endpoint, transform } = config;
    return await runIngestionMachine(
      steps,
      { runId, dataset, endpoint, transform, resume: resume.state },
      {
        clock: runtime.clock,
        inspect,
        ...(context.signal ? { signal: context.signal } : {}),
        logins: (send) =>
          services.auth.subscribe?.((event) => {
            if (event.type === 'login.attempt') send({ type: 'login.attempt', ok: event.ok, durationMs: event.durationMs });
          }) ?? (() => undefined),
      },
    );
  } finally {
    await closeRunServices(services);
  }
}
