import { IngestError } from '../errors.js';
import type { DraftReport } from './runTypes.js';

// Internal, not exported: the run machine catches it and ends with the draft as the report.
/** Writing the report failed; carries the draft so that the run still ends with a report in memory. */
export class ReportWriteError extends IngestError {
  override name = 'ReportWriteError';
  constructor(
    message: string,
    readonly draft: DraftReport,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
