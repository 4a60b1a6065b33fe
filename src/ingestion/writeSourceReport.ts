import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forResource, type ResolvedRun } from '../config/loadRunConfig.js';
import { loggerFor } from '../logging/index.js';
import type { RunReport } from '../report/runReport.js';
import { sourceRunReport, type SourceRunReport } from '../report/sourceRunReport.js';
import { writeSourceReportFiles, type SourceReportFiles } from '../report/writeSourceReportFiles.js';
import { reportFilesOf } from '../report/writeReportFiles.js';
import { describeError } from '../run/describeError.js';
import type { Runtime } from '../runtime/runtime.js';
import { reportKey, uploadReport } from '../storage/index.js';
import type { RunIngestionContext } from './runIngestionContext.js';
import { runPaths } from './runPaths.js';
import { s3ClientFor } from './s3ClientFor.js';

/** Where the source's run report went: its local files, its objects once uploaded, and why not when it could not be. */
export interface SourceReportOutcome {
  readonly report: SourceRunReport;
  /** Absent when the files could not be written (see `error`). */
  readonly files?: SourceReportFiles;
  /** The uploaded JSON and Markdown; absent when the store refused them (see `error`). */
  readonly uris?: { readonly json: string; readonly markdown: string };
  readonly error?: string;
}

/** The resource's JSON report, when its run wrote one locally. */
async function localReportOf(run: ResolvedRun, report: RunReport): Promise<string | undefined> {
  const resource = run.resources.find((r) => r.name === report.dataset);
  if (!resource) return undefined;
  const path = reportFilesOf(runPaths(forResource(run, resource)).reports, report.runId).json;
  return access(path).then(
    () => path,
    () => undefined,
  );
}

/**
 * The source's run report (several resources), from the resources' reports in the source's
 * order: written under `dataDir/reports/SOURCE/` and uploaded beside the resources' reports
 * under `PREFIX/_reports/SOURCE/ingest_date=D/`. A failure to write or upload it is the
 * outcome's `error`, never a crash: the resources' own files and objects stand.
 */
export async function writeSourceReport(
  run: ResolvedRun,
  resources: readonly RunReport[],
  runtime: Runtime,
  context: RunIngestionContext,
): Promise<SourceReportOutcome> {
  const logger = loggerFor(runtime.logger, 'ingestion');
  const outcomes = await Promise.all(resources.map(async (report) => ({ report, reportPath: await localReportOf(run, report) })));
  const report = sourceRunReport(run.runId, run.sourceName, outcomes);
  let files: SourceReportFiles;
  try {
    files = await runtime.clock.track(writeSourceReportFiles(report, join(run.dataDir, 'reports', run.sourceName)));
  } catch (error: unknown) {
    logger.error({ err: error }, 'the source run report could not be written');
    return { report, error: `the source run report could not be written: ${describeError(error)}` };
  }
  const s3 = s3ClientFor(run, context.s3Credentials);
  try {
    const parts = { prefix: run.prefix, dataset: run.sourceName, ingestDate: run.ingestDate, runId: run.runId };
    const keyOptions = run.keyTemplate ? { dataKeyTemplate: run.keyTemplate } : {};
    const upload = async (kind: 'sourceJson' | 'sourceMd', path: string, contentType: string): Promise<string> => {
      const key = reportKey(parts, kind, keyOptions);
      const body = await readFile(path, 'utf8');
      // Not stopped by the run's signal: a stop that came too late for the resources must not keep their summary local.
      return (await uploadReport({ client: s3, bucket: run.bucket, key, body, contentType })).uri;
    };
    const json = await runtime.clock.track(upload('sourceJson', files.json, 'application/json'));
    const markdown = await runtime.clock.track(upload('sourceMd', files.markdown, 'text/markdown; charset=utf-8'));
    return { report, files, uris: { json, markdown } };
  } catch (error: unknown) {
    logger.warn({ err: error }, 'the source run report stays local');
    return { report, files, error: `the source run report stays local (${describeError(error)})` };
  } finally {
    s3.destroy();
  }
}
