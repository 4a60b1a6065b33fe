import { join } from 'node:path';
import { makeReportDir } from './makeReportDir.js';
import { alreadyRedacted, redactReport, type Redactor } from './redactReport.js';
import { renderSourceMarkdown } from './renderSourceMarkdown.js';
import { SOURCE_REPORT_ORDER, type SourceRunReport } from './sourceRunReport.js';
import { stableJson } from './stableJson.js';
import { writeAtomically } from './writeAtomically.js';

/** Paths of the two files of a source's run report. */
export interface SourceReportFiles {
  readonly json: string;
  readonly markdown: string;
}

/**
 * Writes `<runId>.source.report.json` (stable key order) and `.source.report.md` under `dir`,
 * creating it, each through a temp file and a rename; both scrubbed of secrets (the JSON is
 * uploaded as written).
 */
export async function writeSourceReportFiles(
  input: SourceRunReport,
  dir: string,
  options: { readonly secrets?: Redactor } = {},
): Promise<SourceReportFiles> {
  const report = redactReport(input, options.secrets);
  await makeReportDir(dir, report.runId);
  const base = join(dir, `${report.runId}.source.report`);
  const files: SourceReportFiles = { json: `${base}.json`, markdown: `${base}.md` };
  await Promise.all([
    writeAtomically(files.json, stableJson(report, SOURCE_REPORT_ORDER)),
    writeAtomically(files.markdown, renderSourceMarkdown(report, { secrets: alreadyRedacted })),
  ]);
  return files;
}
