import { join } from 'node:path';
import { makeReportDir } from './makeReportDir.js';
import { renderHtml } from './renderHtml.js';
import { alreadyRedacted, redactReport } from './redactReport.js';
import { renderMarkdown, type RenderOptions } from './renderMarkdown.js';
import type { RunReport } from './runReport.js';
import { stableJson } from './stableJson.js';
import { writeAtomically } from './writeAtomically.js';

/** Where reports go unless told otherwise (relative to the working directory). */
export const DEFAULT_REPORT_DIR = 'data/reports';

/** Paths of the three files written for one run. */
export interface ReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/** Where `writeReportFiles` puts the reports of the run `runId` under `dir`. */
export function reportFilesOf(dir: string, runId: string): ReportFiles {
  const base = join(dir, `${runId}.report`);
  return { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
}

/**
 * Writes `<runId>.report.json` (stable key order), `.report.md` and `.report.html` under `dir`,
 * creating it, each through a temp file and a rename. Rewriting a run's report replaces it.
 * All three are scrubbed of secrets (the JSON too: it is the one that gets uploaded).
 */
export async function writeReportFiles(
  input: RunReport,
  dir: string = DEFAULT_REPORT_DIR,
  options: RenderOptions = {},
): Promise<ReportFiles> {
  const report = redactReport(input, options.secrets);
  await makeReportDir(dir, report.runId);
  const rendered = { secrets: alreadyRedacted };
  const files = reportFilesOf(dir, report.runId);
  await Promise.all([
    writeAtomically(files.json, stableJson(report)),
    writeAtomically(files.markdown, renderMarkdown(report, rendered)),
    writeAtomically(files.html, renderHtml(report, rendered)),
  ]);
  return files;
}
