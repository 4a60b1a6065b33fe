import { tap } from 'rxjs';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import type { RunReport } from '../report/runReport.js';
import type { Pacer } from '../pacing/pacer.js';
import type { Runtime } from '../runtime/runtime.js';
import type { IngestionRunDeps } from './provideIngestionRun.js';
import { runIngestionMachine } from './provideIngestionRun.js';
import { readResume } from './readResume.js';
import type { RunIngestionContext } from './runIngestionContext.js';
import type { Inspect } from './runMachine.js';
import { closeRunServices, openRunServices } from './runServices.js';
import { runObserver } from './runObserver.js';
import { stagingFigures } from './stagingFigures.js';
import { fetchPages } from './steps/fetchPages.js';
import { prepare } from './steps/prepare.js';
import { upload } from './steps/upload.js';
import { writeFile } from './steps/writeFile.js';
import { writeReport } from './steps/writeReport.js';

/**
 * One resource's run, its options resolved: every record of the resource staged in DuckDB page by
 * page, one final file written from it, delivered to S3 and verified, and the report written.
 * `pacer`: the API origin's (`withApiPacer`), shared with the resources that run beside it.
 */
export async function runResource(
  config: ResolvedRunConfig,
  runtime: Runtime,
  context: RunIngestionContext,
  pacer: Pacer,
): Promise<RunReport> {
  const services = await openRunServices(config, runtime, context.s3Credentials);
  try {
    const resume = await readResume(config, services.store);
    if (resume.state.pagesStaged)
      services.logger.info({ runId: config.runId, pages: resume.state.pagesStaged }, 'resuming: committed pages are not fetched again');
    const streamPages = fetchPages(config, services, resume, pacer);
    const figures = stagingFigures(services.store, config.resource);
    const steps: IngestionRunDeps = {
      prepare: prepare(config, services),
      fetchPages: (input, signal) => {
        const stream = streamPages(input, signal);
        return context.onEvent ? stream.pipe(tap(context.onEvent)) : stream;
      },
      writeFinalFile: writeFile(config, services, figures),
      uploadFile: upload(config, services, figures),
      writeReport: writeReport(config, services, resume.state, figures, pacer.limiter.start),
    };
    const extra = context.inspect === undefined ? [] : Array.isArray(context.inspect) ? context.inspect : [context.inspect as Inspect];
    const observe =
      context.onState || context.onCounters ? [runObserver({ onState: context.onState, onCounters: context.onCounters })] : [];
    const inspect = [...observe, ...extra];
    const { runId, dataset, transform } = config;
    return await runIngestionMachine(
      steps,
      { runId, dataset, endpoint: config.resource.path, transform, resume: resume.state },
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
