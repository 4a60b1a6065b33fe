import type { Logger } from 'pino';
import type { RunConfigInput } from '../config/runConfig.js';
import { runIngestion, type RunIngestionContext } from '../ingestion/runIngestion.js';
import { createStatelyInspector } from '../devtools/statelyInspector.js';
import { renderSummary } from '../report/renderSummary.js';
import type { RunReport } from '../report/runReport.js';
import { realClock } from '../runtime/clock.js';
import { createProgress } from './progress.js';

export interface CliRunOptions {
  readonly logger: Logger;
  readonly inspect: boolean;
  readonly progress: boolean;
  readonly s3Credentials?: RunIngestionContext['s3Credentials'];
}

/** Exit codes of `ingest run` (and `demo`). */
export const exitCodes = { succeeded: 0, failed: 1, config: 2, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs one ingestion for the CLI: live progress on stderr, SIGINT/SIGTERM stop it at a page
 * boundary (a second signal exits at once), the summary on stdout. Resolves to the exit code.
 */
export async function runAndReport(config: RunConfigInput, options: CliRunOptions): Promise<{ code: number; report: RunReport }> {
  const controller = new AbortController();
  let signalled: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => (): void => {
    if (signalled) process.exit(exitCodes[signal]);
    signalled = signal;
    options.logger.warn(`${signal}: stopping at the next page boundary (again to quit at once)`);
    controller.abort(signal);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);
  const progress = options.progress ? createProgress({ stream: process.stderr, clock: realClock, logger: options.logger }) : undefined;
  const inspector = options.inspect ? createStatelyInspector() : undefined;
  if (inspector) options.logger.info(`Stately inspector: ${inspector.url}`);
  try {
    const report = await runIngestion(config, {
      signal: controller.signal,
      runtime: { logger: options.logger },
      ...(inspector ? { inspect: inspector.inspect } : {}),
      ...(progress
        ? { onEvent: (e) => progress.onEvent(e), onState: (s) => progress.onState(s), onCounters: (c) => progress.onCounters(c) }
        : {}),
      ...(options.s3Credentials ? { s3Credentials: options.s3Credentials } : {}),
    });
    progress?.stop();
    process.stdout.write(`${renderSummary(report, { color: process.stdout.isTTY === true })}\n`);
    // A signal that came too late to stop the run (it was delivering or reporting) changes nothing: 0.
    const code = report.status === 'succeeded' ? exitCodes.succeeded : signalled ? exitCodes[signalled] : exitCodes.failed;
    return { code, report };
  } finally {
    progress?.stop();
    await inspector?.stop();
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
  }
}
