import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../errors.js';
import { renderHtml } from './renderHtml.js';
import { alreadyRedacted, redactReport } from './redactReport.js';
import { renderMarkdown, type RenderOptions } from './renderMarkdown.js';
import type { RunReport } from './runReport.js';
import { stableJson } from './stableJson.js';

/** Where reports go unless told otherwise (relative to the working directory). */
export const DEFAULT_REPORT_DIR = 'data/reports';

/** Paths of the three files written for one run. */
export interface ReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/** A run id becomes a file name: it must not climb out of the report directory. */
function assertFileSafe(runId: string): void {
  // eslint-disable-next-line no-control-regex
  if (runId.length === 0 || runId.length > 200 || /[/\\\u0000-\u001f]/.test(runId) || runId === '.' || runId === '..') {
    throw new IngestError(`cannot write the report: run id ${JSON.stringify(runId)} is not usable as a file name`);
  }
}

/** Writes `text` so that a reader sees either the old file or the whole new one, never a part. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error: unknown) {
    await rm(temp, { force: true });
    throw new IngestError(`cannot write the report file ${path}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
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
  assertFileSafe(report.runId);
  const rendered = { secrets: alreadyRedacted };
  try {
    await mkdir(dir, { recursive: true });
  } catch (error: unknown) {
    throw new IngestError(`cannot create the report directory ${dir}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const base = join(dir, `${report.runId}.report`);
  const files: ReportFiles = { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
  await Promise.all([
    writeAtomically(files.json, stableJson(report)),
    writeAtomically(files.markdown, renderMarkdown(report, rendered)),
    writeAtomically(files.html, renderHtml(report, rendered)),
  ]);
  return files;
}
