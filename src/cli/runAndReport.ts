import type { Logger } from 'pino';
import type { ResolvedRun } from '../config/loadRunConfig.js';
import type { RunIngestionContext } from '../ingestion/runIngestion.js';
import { runResolvedSource, type SourceReport } from '../ingestion/runSource.js';
import { createRuntime } from '../runtime/runtime.js';
import { startStatelyInspector, type StatelyInspector } from '../devtools/statelyInspector.js';
import { defaultSecretRegistry, FILE_ONLY, type LiveLine } from '../logging/index.js';
import { neutralizeControls } from '../report/format.js';
import { renderSummary } from '../report/renderSummary.js';
import type { RunReport } from '../report/runReport.js';
import { realClock } from '../runtime/clock.js';
import { createProgress } from './progress.js';

export interface CliRunOptions {
  readonly logger: Logger;
  /** Show the run in the Stately inspector; a number is the bridge's port (default: a free one). */
  readonly inspect: boolean | number;
  readonly progress: boolean;
  /** Where the progress line registers, so that log lines clear it first and redraw it after. */
  readonly setLiveLine?: (line: LiveLine | undefined) => void;
  readonly s3Credentials?: RunIngestionContext['s3Credentials'];
}

/** Exit codes of `ingest run` (and `demo`). */
export const exitCodes = { succeeded: 0, failed: 1, config: 2, SIGINT: 130, SIGTERM: 143 } as const;

/**
 * A repeated signal within this time is the same keypress delivered twice (the terminal signals the
 * whole process group, and a parent such as npm or tsx forwards it again): not a second Ctrl-C.
 */
const SAME_SIGNAL_MS = 500;

async function startInspector(inspect: boolean | number, logger: Logger): Promise<StatelyInspector | undefined> {
  if (inspect === false) return undefined;
  try {
    const inspector = await startStatelyInspector(inspect === true ? {} : { port: inspect });
    logger.info(`Stately inspector: ${inspector.url} (the page embeds stately.ai/inspect: it needs a browser online)`);
    return inspector;
  } catch (error: unknown) {
    // The inspector is a window on the run, never a reason to fail it.
    logger.warn(
      `the Stately inspector did not start (${error instanceof Error ? error.message : String(error)}); the run goes on without it`,
    );
    return undefined;
  }
}

/** Text from the run for the terminal: secrets scrubbed, control characters shown. */
const t = (text: string): string => neutralizeControls(defaultSecretRegistry.redact(text));

/** What the terminal should say besides the summary: a failure's one sentence, an earlier delivery. */
function notices(report: RunReport, several: boolean): { stderr?: string; stdout?: string } {
  const which = several ? `${t(report.dataset)}: ` : '';
  if (report.status !== 'succeeded') return { stderr: `ingest: ${which}${t(report.error ?? 'the run failed')}\n` };
  const d = report.delivery;
  if (d?.status === 'alreadyDelivered' && d.verifiedBy === 'checkpoint')
    return {
      stdout:
        `\nRun ${t(report.runId)} was already delivered to ${t(d.uri)} by an earlier attempt: nothing was fetched` +
        `${d.reportUri ? `, and its report is still that attempt's (${t(d.reportUri)})` : ''}. To ingest again, start a new run: --run-id <new id>.\n`,
    };
  if (d?.status === 'alreadyDelivered') return { stdout: `\n${t(d.uri)} already held exactly this file: it was not uploaded again.\n` };
  return {};
}

/**
 * Runs one ingestion for the CLI (every resource of its source): live progress on stderr (one
 * resource), SIGINT/SIGTERM stop it at a page boundary (a second signal exits at once), each
 * resource's summary on stdout, a failure's one sentence on stderr. Resolves to the exit code.
 */
export async function runAndReport(run: ResolvedRun, options: CliRunOptions): Promise<{ code: number; report: SourceReport }> {
  const controller = new AbortController();
  let signalled: { signal: 'SIGINT' | 'SIGTERM'; at: number } | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => (): void => {
    const now = realClock.now();
    if (signalled && now - signalled.at < SAME_SIGNAL_MS) return;
    if (signalled) process.exit(exitCodes[signal]);
    signalled = { signal, at: now };
    options.logger.warn(`${signal}: stopping at the next page boundary (again to quit at once)`);
    controller.abort(signal);
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  process.on('SIGINT', handlers.SIGINT).on('SIGTERM', handlers.SIGTERM);
  const several = run.resources.length > 1;
  // One line of progress follows one run: several resources at once report when each ends.
  const progress =
    options.progress && !several ? createProgress({ stream: process.stderr, clock: realClock, logger: options.logger }) : undefined;
  if (progress) options.setLiveLine?.(progress);
  const inspector = await startInspector(options.inspect, options.logger);
  try {
    const runtime = createRuntime({ logger: options.logger });
    const report = await runResolvedSource(run, runtime, {
      signal: controller.signal,
      ...(inspector ? { inspect: inspector.inspect } : {}),
      ...(progress
        ? { onEvent: (e) => progress.onEvent(e), onState: (s) => progress.onState(s), onCounters: (c) => progress.onCounters(c) }
        : {}),
      ...(options.s3Credentials ? { s3Credentials: options.s3Credentials } : {}),
    });
    const only = report.resources[0];
    progress?.stop(only ? { recordsPerSecond: only.throughput.recordsPerSecond, status: only.status } : { recordsPerSecond: 0 });
    for (const resource of report.resources) {
      // The failure's sentence goes to stderr (below), once: not also in the summary on stdout.
      process.stdout.write(`${renderSummary(resource, { color: process.stdout.isTTY === true, error: false })}\n`);
      const { stderr, stdout } = notices(resource, several);
      if (stdout) process.stdout.write(stdout);
      if (stderr) process.stderr.write(stderr);
      // The error log keeps every failed run's sentence; the console has it once, above.
      if (resource.status === 'failed')
        options.logger.error({ [FILE_ONLY]: true, runId: resource.runId, dataset: resource.dataset }, resource.error ?? 'the run failed');
    }
    const source = report.sourceReport;
    if (source) {
      const where = source.files ? `${t(source.files.markdown)}${source.uris ? ` · ${t(source.uris.markdown)}` : ''}` : 'not written';
      process.stdout.write(`\nSource report: ${where}\n`);
      if (source.error !== undefined) process.stderr.write(`ingest: ${t(source.error)}\n`);
    }
    if (several && report.status !== 'succeeded') {
      const failed = report.resources.filter((r) => r.status !== 'succeeded').map((r) => r.dataset);
      process.stderr.write(`ingest: ${failed.length} of ${report.resources.length} resources did not succeed: ${failed.join(', ')}\n`);
    }
    // A signal that came too late to stop the run (it was delivering or reporting) changes nothing: 0.
    // The source's report is part of the delivery: a run whose report over its resources stays local exits 1.
    const code =
      report.status !== 'succeeded'
        ? signalled
          ? exitCodes[signalled.signal]
          : exitCodes.failed
        : source?.error === undefined
          ? exitCodes.succeeded
          : exitCodes.failed;
    return { code, report };
  } finally {
    progress?.stop();
    options.setLiveLine?.(undefined);
    await inspector?.stop();
    process.off('SIGINT', handlers.SIGINT).off('SIGTERM', handlers.SIGTERM);
  }
}
