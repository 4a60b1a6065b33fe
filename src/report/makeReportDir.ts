import { mkdir } from 'node:fs/promises';
import { IngestError } from '../errors.js';

/** A run id becomes a file name: it must not climb out of the report directory. */
function assertFileSafe(runId: string): void {
  // eslint-disable-next-line no-control-regex
  if (runId.length === 0 || runId.length > 200 || /[/\\\u0000-\u001f]/.test(runId) || runId === '.' || runId === '..') {
    throw new IngestError(`cannot write the report: run id ${JSON.stringify(runId)} is not usable as a file name`);
  }
}

/** Creates the report directory `dir` for the run `runId`, once the run id is known to be a safe file name. */
export async function makeReportDir(dir: string, runId: string): Promise<void> {
  assertFileSafe(runId);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error: unknown) {
    throw new IngestError(`cannot create the report directory ${dir}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
