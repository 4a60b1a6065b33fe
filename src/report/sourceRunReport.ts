import type { RunReport } from './runReport.js';

export type RunStatus = RunReport['status'];

/** The records of a resource's report, or their sum over the resources. */
export type RecordCounts = RunReport['records'];

/** What one resource's report says, in the source's report. */
export interface ResourceSection {
  readonly dataset: string;
  readonly status: RunStatus;
  /** The resource's one sentence, when it did not succeed. */
  readonly error?: string;
  readonly records: RecordCounts;
  /** Dropped records that differ from the kept version of their key (`records.conflicts.versions`). */
  readonly conflictingVersions: number;
  /** Records holding a configured secret's value (`secretsInRecords.records`). */
  readonly recordsWithSecrets: number;
  /** Rows in the data file (0 when none was written). */
  readonly rows: number;
  readonly pages: { readonly staged: number; readonly skippedOnResume: number };
  readonly requests: number;
  /** The delivered data object. */
  readonly objectUri?: string;
  /** The resource's JSON report: where it was written locally, and its object once delivered. */
  readonly report: { readonly path?: string; readonly uri?: string };
}

/** The sums over the resources' reports. */
export interface SourceTotals {
  readonly resources: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly records: RecordCounts;
  readonly conflictingVersions: number;
  readonly recordsWithSecrets: number;
  readonly rows: number;
  readonly pages: { readonly staged: number; readonly skippedOnResume: number };
  readonly requests: number;
}

/** The run of a source of several resources: one section per resource and the totals over them. */
export interface SourceRunReport {
  readonly status: RunStatus;
  /** Names the resources that did not succeed. */
  readonly error?: string;
  readonly runId: string;
  readonly source: string;
  /** The earliest start and the latest finish of the resources. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly totals: SourceTotals;
  /** In the source's order. */
  readonly resources: readonly ResourceSection[];
}

/** The top-level keys of the source's JSON report, in reading order (`stableJson`). */
export const SOURCE_REPORT_ORDER = ['status', 'error', 'runId', 'source', 'startedAt', 'finishedAt', 'durationMs', 'totals', 'resources'];

/** Succeeded when every resource did; failed when one failed; cancelled when stopped and none failed. */
export function sourceStatus(statuses: readonly RunStatus[]): RunStatus {
  if (statuses.includes('failed')) return 'failed';
  return statuses.includes('cancelled') ? 'cancelled' : 'succeeded';
}

/** A resource's report and where its JSON file was written locally (absent when it could not be). */
export interface ResourceOutcome {
  readonly report: RunReport;
  readonly reportPath?: string | undefined;
}

function section({ report, reportPath }: ResourceOutcome): ResourceSection {
  return {
    dataset: report.dataset,
    status: report.status,
    ...(report.status !== 'succeeded' && report.error !== undefined ? { error: report.error } : {}),
    records: { ...report.records },
    conflictingVersions: report.records.conflicts?.versions ?? 0,
    recordsWithSecrets: report.secretsInRecords?.records ?? 0,
    rows: report.output?.rows ?? 0,
    pages: { staged: report.pages.staged, skippedOnResume: report.pages.skippedOnResume },
    requests: report.requests.total,
    ...(report.delivery ? { objectUri: report.delivery.uri } : {}),
    report: {
      ...(reportPath !== undefined ? { path: reportPath } : {}),
      ...(report.delivery?.reportUri !== undefined ? { uri: report.delivery.reportUri } : {}),
    },
  };
}

function totalsOf(sections: readonly ResourceSection[]): SourceTotals {
  const sum = (figure: (s: ResourceSection) => number): number => sections.reduce((total, s) => total + figure(s), 0);
  const count = (status: RunStatus): number => sections.filter((s) => s.status === status).length;
  return {
    resources: sections.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    records: {
      received: sum((s) => s.records.received),
      unique: sum((s) => s.records.unique),
      duplicates: sum((s) => s.records.duplicates),
      withoutKey: sum((s) => s.records.withoutKey),
      refused: sum((s) => s.records.refused),
      rejected: sum((s) => s.records.rejected),
    },
    conflictingVersions: sum((s) => s.conflictingVersions),
    recordsWithSecrets: sum((s) => s.recordsWithSecrets),
    rows: sum((s) => s.rows),
    pages: { staged: sum((s) => s.pages.staged), skippedOnResume: sum((s) => s.pages.skippedOnResume) },
    requests: sum((s) => s.requests),
  };
}

/** The sentence naming the resources that did not succeed. */
function errorOf(status: RunStatus, sections: readonly ResourceSection[]): string | undefined {
  if (status === 'succeeded') return undefined;
  const which = sections.filter((s) => s.status === status).map((s) => s.dataset);
  return `${which.length} of ${sections.length} resources ${status === 'failed' ? 'failed' : 'were cancelled'}: ${which.join(', ')}`;
}

/**
 * The source's run report, from its resources' own reports (in the source's order): the totals
 * are their sums and the status is derived from theirs, so it can never say succeeded beside a
 * failed resource.
 */
export function sourceRunReport(runId: string, source: string, outcomes: readonly ResourceOutcome[]): SourceRunReport {
  const sections = outcomes.map(section);
  const status = sourceStatus(sections.map((s) => s.status));
  const error = errorOf(status, sections);
  const starts = outcomes.map((o) => Date.parse(o.report.startedAt));
  const finishes = outcomes.map((o) => Date.parse(o.report.finishedAt));
  const startedAt = Math.min(...starts);
  const finishedAt = Math.max(...finishes);
  return {
    status,
    ...(error !== undefined ? { error } : {}),
    runId,
    source,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - startedAt,
    totals: totalsOf(sections),
    resources: sections,
  };
}
