import { compareStatusKeys, formatBytes, formatCount, formatDuration, formatPercent } from './format.js';
import type { RunReport } from './runReport.js';

/**
 * One labelled value of the report, already formatted for people. `code` values (paths, URIs,
 * ids, hashes) are shown verbatim in a monospace span; `num` values are right-aligned.
 */
export interface Fact {
  readonly label: string;
  readonly value: string;
  readonly code?: boolean;
  readonly num?: boolean;
}

const n = formatCount;

/** What every renderer shows, in the same words: Markdown, HTML and the terminal agree. */
export function runFacts(report: RunReport): Fact[] {
  return [
    { label: 'Run id', value: report.runId, code: true },
    { label: 'Dataset', value: report.dataset },
    { label: 'Endpoint', value: report.endpoint, code: true },
    { label: 'Started', value: report.startedAt },
    { label: 'Finished', value: report.finishedAt },
    { label: 'Duration', value: `${formatDuration(report.durationMs)} (${n(report.durationMs)} ms)` },
    {
      label: 'Resumed from checkpoint',
      value: report.resumed ? `yes (${n(report.pages.skippedOnResume)} pages already staged were skipped)` : 'no',
    },
  ];
}

export function requestFacts(report: RunReport): Fact[] {
  const r = report.requests;
  return [
    { label: 'Total', value: n(r.total), num: true },
    { label: 'Retries', value: n(r.retries), num: true },
    { label: 'Rate limited (429)', value: n(r.rateLimited), num: true },
    { label: 'Total rate-limit pause', value: formatDuration(r.rateLimitPauseMs), num: true },
    ...(r.pace ? [{ label: 'Rate at start', value: paceText(r.pace) }] : []),
    { label: 'Token refreshes', value: n(r.tokenRefreshes), num: true },
    { label: 'Logins (failed)', value: `${n(r.logins)} (${n(r.failedLogins)})`, num: true },
    { label: 'Time logging in', value: formatDuration(r.loginMs), num: true },
  ];
}

function paceText({ from, rate, learnedAt }: NonNullable<RunReport['requests']['pace']>): string {
  const perSecond = `${rate < 10 ? rate.toFixed(2) : n(Math.round(rate))} req/s`;
  if (from === 'configured') return `${perSecond}, from the configured rateLimit`;
  if (from === 'slowStart') return `${perSecond}, learning the API's limit (slow start)`;
  return `${perSecond}, from the pace a run learned from this API${learnedAt ? ` on ${learnedAt.slice(0, 10)}` : ''} (rememberPace)`;
}

/** Responses and retries per status, HTTP codes first. */
export function statusRows(report: RunReport): { status: string; responses: string; retries: string }[] {
  const r = report.requests;
  const statuses = [...new Set([...Object.keys(r.byStatus), ...Object.keys(r.retriesByStatus)])].sort(compareStatusKeys);
  return statuses.map((status) => ({ status, responses: n(r.byStatus[status] ?? 0), retries: n(r.retriesByStatus[status] ?? 0) }));
}

export function recordFacts(report: RunReport): Fact[] {
  const { pages, records } = report;
  return [
    { label: 'Pages staged', value: n(pages.staged), num: true },
    { label: 'Pages skipped on resume', value: n(pages.skippedOnResume), num: true },
    { label: 'Pages announced by the API', value: pages.total === undefined ? 'unknown' : n(pages.total), num: true },
    { label: 'Records received', value: n(records.received), num: true },
    { label: 'Unique records', value: n(records.unique), num: true },
    { label: 'Duplicates (dropped)', value: n(records.duplicates), num: true },
    ...(records.conflicts === undefined
      ? []
      : [
          { label: 'Of which conflicting versions (other content)', value: n(records.conflicts.versions), num: true },
          { label: 'Keys with conflicting versions', value: n(records.conflicts.keys), num: true },
        ]),
    { label: 'Without a key (kept aside, in the rejects)', value: n(records.withoutKey), num: true },
    { label: 'Refused: beyond a limit or poison (kept aside, in the rejects)', value: n(records.refused), num: true },
    { label: 'Rejected (kept aside)', value: n(records.rejected), num: true },
  ];
}

export function throughputFacts(report: RunReport): Fact[] {
  const staging = report.throughput.staging;
  return [
    { label: 'Records per second', value: n(report.throughput.recordsPerSecond, 1), num: true },
    { label: 'Pages per second', value: n(report.throughput.pagesPerSecond, 2), num: true },
    { label: 'Parsing page bodies', value: formatDuration(staging.parseMs), num: true },
    { label: 'Staging records (checks and appends)', value: formatDuration(staging.appendMs), num: true },
    { label: 'Appending page checkpoints', value: formatDuration(staging.checkpointMs), num: true },
    { label: 'Committing', value: `${formatDuration(staging.commitMs)} (${n(staging.transactions)} transactions)`, num: true },
  ];
}

/** Where staging's time went, in one line: what the summary and the bench print. */
export function stagingTimeLine(staging: RunReport['throughput']['staging']): string {
  const d = formatDuration;
  return `parse ${d(staging.parseMs)}, append ${d(staging.appendMs)}, checkpoints ${d(staging.checkpointMs)}, commit ${d(staging.commitMs)} (${n(staging.transactions)} transactions)`;
}

/** The output file's facts, or undefined when no file was written. */
export function outputFacts(report: RunReport): Fact[] | undefined {
  const o = report.output;
  if (!o) return undefined;
  const facts: Fact[] = [
    { label: 'Format', value: o.format },
    { label: 'Transform', value: o.transform === 'clean' ? 'clean (ETL)' : 'none (raw, ELT)' },
    { label: 'Path', value: o.path, code: true },
    { label: 'Rows', value: n(o.rows) },
    { label: 'Size', value: `${formatBytes(o.bytes)} (${n(o.bytes)} bytes)` },
    { label: 'SHA-256', value: o.sha256, code: true },
    { label: 'Checksum', value: o.checksum, code: true },
  ];
  if (o.rejectsPath !== undefined) facts.push({ label: 'Rejects', value: o.rejectsPath, code: true });
  return facts;
}

/** The delivery's facts, or undefined when nothing was delivered. */
export function deliveryFacts(report: RunReport): Fact[] | undefined {
  const d = report.delivery;
  if (!d) return undefined;
  const facts: Fact[] = [
    { label: 'S3 URI', value: d.uri, code: true },
    {
      label: 'Status',
      value: d.status === 'uploaded' ? 'uploaded' : 'already delivered (the same content was at the key; not uploaded again)',
    },
    { label: 'Verified by', value: d.verifiedBy },
  ];
  if (d.reportUri !== undefined) facts.push({ label: 'Report URI', value: d.reportUri, code: true });
  return facts;
}

/** Per-column quality, with the null share of the rows written (or of the unique records). */
export function qualityRows(
  report: RunReport,
): { column: string; type: string; nulls: string; nullShare: string; invalid: string; rule: string }[] {
  const rows = report.output?.rows ?? report.records.unique;
  return report.quality.map((q) => ({
    column: q.column,
    type: q.type,
    nulls: n(q.nulls),
    nullShare: formatPercent(q.nulls, rows),
    invalid: n(q.invalid),
    rule: q.invalidRule ?? '–',
  }));
}

/** The sentence shown when a failed run carries no error: it should not happen, so say so. */
export const MISSING_ERROR = 'the run failed without an error message (a bug: please report it with this report).';
