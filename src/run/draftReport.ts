import type { RunReport, RunSeries, StateVisit } from '../report/runReport.js';
import { describeError } from './describeError.js';
import { ReportWriteError } from './reportWriteError.js';
import type { DraftReport, RunStep, RunSummary } from './runTypes.js';

/** When the run started and ended, and the states it went through (from the timeline recorder). */
export interface ReportTiming {
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  /** Empty when no recorder watched the run: the pause then falls back to the announced waits. */
  readonly timeline: readonly StateVisit[];
  /** The run over time, when a series recorder watched the run. */
  readonly series?: RunSeries;
}

const STEP_LABELS: Readonly<Record<RunStep, string>> = {
  authenticating: 'Login, bucket or partition check',
  fetching: 'Fetching pages',
  writing: 'Writing the final file',
  uploading: 'Uploading the file',
  reporting: 'Writing the report',
};

const RESUME_HINT = 'the checkpoint is kept: run again with the same run id to resume.';

export function runSucceeded(summary: RunSummary): boolean {
  return !summary.cancelled && summary.failure === null && summary.delivery !== null;
}

/** The one actionable sentence of a failed run, or undefined for a successful one. */
export function errorSentence(summary: RunSummary): string | undefined {
  if (summary.cancelled) return `The run was cancelled (${summary.cancelReason ?? 'stop requested'}); ${RESUME_HINT}`;
  if (summary.failure) {
    const { step, message } = summary.failure;
    const resumable = !summary.failure.permanent && (step === 'fetching' || step === 'writing' || step === 'uploading');
    const hint = resumable ? ` (${RESUME_HINT.replace(/\.$/, '')})` : '';
    return `${STEP_LABELS[step]} failed: ${message}${hint}`;
  }
  return summary.delivery === null ? 'The run ended without delivering the file.' : undefined;
}

/** Total time of the visits whose state matches, in ms. */
export function timeIn(timeline: readonly StateVisit[], matches: (state: string) => boolean): number {
  return timeline.reduce((sum, visit) => (matches(visit.state) ? sum + visit.durationMs : sum), 0);
}

function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count / (ms / 1000)) * 100) / 100 : 0;
}

/**
 * The report as the machine's counters and the timeline know it. `quality` is left empty and
 * unique/duplicate counts come from the writer: `writeReport` replaces them with SQL's answer.
 */
export function assembleDraftReport(summary: RunSummary, timing: ReportTiming): DraftReport {
  const { counters, file, delivery } = summary;
  const { timeline } = timing;
  const durationMs = Math.max(0, Math.round(timing.finishedAtMs - timing.startedAtMs));
  const fetchMs = timeIn(timeline, (s) => s === 'ingesting' || s.startsWith('ingesting.')) || durationMs;
  const error = errorSentence(summary);
  return {
    status: runSucceeded(summary) ? 'succeeded' : summary.cancelled ? 'cancelled' : 'failed',
    runId: summary.runId,
    dataset: summary.dataset,
    endpoint: summary.endpoint,
    startedAt: new Date(timing.startedAtMs).toISOString(),
    finishedAt: new Date(timing.finishedAtMs).toISOString(),
    durationMs,
    ...(error === undefined ? {} : { error }),
    resumed: summary.resumed,
    timeline,
    requests: {
      total: counters.requests.total,
      byStatus: counters.requests.byStatus,
      retries: counters.requests.retries,
      retriesByStatus: counters.requests.retriesByStatus,
      rateLimited: counters.requests.rateLimited,
      // The measured pause beats the announced one: waits overlap and the stream adds jitter.
      rateLimitPauseMs: timeline.length > 0 ? timeIn(timeline, (s) => s === 'ingesting.backingOff') : counters.requests.rateLimitWaitMs,
      tokenRefreshes: counters.requests.tokenRefreshes,
      logins: counters.requests.logins,
      failedLogins: counters.requests.failedLogins,
      loginMs: counters.requests.loginMs,
    },
    pages: {
      staged: counters.pagesStaged,
      skippedOnResume: summary.pagesSkippedOnResume,
      ...(counters.pagesTotal === null ? {} : { total: counters.pagesTotal }),
    },
    records: {
      received: counters.recordsReceived,
      unique: file ? file.rows + file.rejected : counters.recordsReceived,
      duplicates: file?.duplicatesDropped ?? 0,
      withoutKey: file?.withoutKey ?? 0,
      refused: file?.refused ?? 0,
      rejected: file?.rejected ?? 0,
    },
    throughput: {
      recordsPerSecond: perSecond(counters.recordsReceived, fetchMs),
      pagesPerSecond: perSecond(counters.pagesStaged, fetchMs),
      staging: counters.staging,
    },
    ...(file === null
      ? {}
      : {
          output: {
            format: file.format,
            transform: summary.transform,
            path: file.path,
            bytes: file.bytes,
            rows: file.rows,
            sha256: file.sha256,
            checksum: file.checksum,
            ...(file.rejectsPath === undefined ? {} : { rejectsPath: file.rejectsPath }),
          },
        }),
    ...(delivery === null ? {} : { delivery: { uri: delivery.uri, status: delivery.status, verifiedBy: delivery.verifiedBy } }),
    quality: [],
    anomalies: counters.anomalies,
    ...(timing.series === undefined ? {} : { series: timing.series }),
    cancelled: summary.cancelled,
  };
}

/** A DraftReport without its `cancelled` flag: what the machine outputs when no writer returned one. */
export function toRunReport(draft: DraftReport): RunReport {
  const { cancelled: _cancelled, ...report } = draft;
  return report;
}

/** The report when nothing better exists: no timing is known, so the time fields are empty. */
export function fallbackReport(summary: RunSummary): RunReport {
  const report = toRunReport(assembleDraftReport(summary, { startedAtMs: 0, finishedAtMs: 0, timeline: [] }));
  return { ...report, startedAt: '', finishedAt: '' };
}

/**
 * The report of a run whose report could not be written. `summary` is the run as it was before
 * that failure: its own failure comes first in the sentence. The draft a ReportWriteError
 * carries is kept when there is one.
 */
export function reportFromError(error: unknown, summary: RunSummary): RunReport {
  const first = errorSentence(summary);
  const failed = describeError(error);
  const sentence =
    first === undefined ? `Writing the report failed: ${failed}` : `${first.replace(/\.$/, '')}; writing the report failed too: ${failed}`;
  const base = error instanceof ReportWriteError ? toRunReport(error.draft) : fallbackReport(summary);
  return { ...base, status: 'failed', error: sentence };
}
