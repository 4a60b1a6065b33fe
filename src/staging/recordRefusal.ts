/** Why a record is not staged as a record: too large, too deep or too wide for staging, or poison to it. */
import { sizeRefusal, type RecordLimits } from './recordCheck.js';
import { scanRecords } from './scanRecords.js';

/**
 * The reason `text` (one record's JSON text) is refused under `limits` (the rules: `RecordCheck`),
 * or undefined when it may be staged or is not one JSON value (which DuckDB then refuses). The page
 * stream checks a page's records as `scanRecords` cuts them; this checks one on its own (a record
 * staging masked, a caller's text) by the same scan, so a record nested 100,000 deep costs what
 * any record of its size costs, and one too large is not scanned.
 */
export function recordRefusal(text: string, limits: Readonly<RecordLimits>): string | undefined {
  return sizeRefusal(text, limits) ?? scanRecords(text, null, '', limits)?.refusals?.[0];
}
