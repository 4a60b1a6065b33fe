import { describe, expect, it } from 'vitest';
import { assembleDraftReport, errorSentence, fallbackReport, reportFromError, timeIn } from '../../src/run/draftReport.js';
import { ReportWriteError } from '../../src/run/reportWriteError.js';
import { emptyCounters } from '../../src/run/runCounters.js';
import type { RunSummary } from '../../src/run/runTypes.js';
import type { StateVisit } from '../../src/report/runReport.js';
import { delivery, input, writtenFile } from '../machines/runHarness.js';

const summary: RunSummary = {
  ...input,
  resumed: false,
  pagesSkippedOnResume: 0,
  counters: {
    ...emptyCounters,
    pagesStaged: 4,
    recordsReceived: 400,
    requests: { ...emptyCounters.requests, rateLimited: 2, rateLimitWaitMs: 3000 },
    staging: { transactions: 3, parseMs: 40, appendMs: 120, checkpointMs: 6, commitMs: 30 },
  },
  file: writtenFile,
  delivery,
  failure: null,
  cancelled: false,
  cancelReason: null,
};

const visit = (state: string, durationMs: number): StateVisit => ({ state, enteredAt: new Date(0).toISOString(), durationMs });

describe('errorSentence', () => {
  it.each([
    [
      { failure: { step: 'authenticating', message: 'login refused (401)' } },
      'Login, bucket or partition check failed: login refused (401)',
    ],
    [
      { failure: { step: 'fetching', message: 'page 9 answered 400' } },
      'Fetching pages failed: page 9 answered 400 (the checkpoint is kept: run again with the same run id to resume)',
    ],
    [
      { failure: { step: 'uploading', message: 'bucket missing' } },
      'Uploading the file failed: bucket missing (the checkpoint is kept: run again with the same run id to resume)',
    ],
    [
      { failure: { step: 'fetching', message: 'page 9 answered 404: not retried, asking again will not change it', permanent: true } },
      'Fetching pages failed: page 9 answered 404: not retried, asking again will not change it',
    ],
    [{ failure: { step: 'reporting', message: 'EACCES' } }, 'Writing the report failed: EACCES'],
    [
      { cancelled: true, cancelReason: 'SIGTERM', failure: { step: 'fetching', message: 'aborted' } },
      'The run was cancelled (SIGTERM); the checkpoint is kept: run again with the same run id to resume.',
    ],
    [{ delivery: null }, 'The run ended without delivering the file.'],
    [{}, undefined],
  ] as const)('%j -> %s', (change, sentence) => {
    expect(errorSentence({ ...summary, ...change })).toBe(sentence);
  });
});

describe('assembleDraftReport', () => {
  it('measures the pause and the throughput on the timeline', () => {
    const timeline = [
      visit('authenticating', 100),
      visit('ingesting.fetching', 1000),
      visit('ingesting.backingOff', 1500),
      visit('ingesting.fetching', 1500),
      visit('writing', 900),
    ];
    const draft = assembleDraftReport(summary, { startedAtMs: 0, finishedAtMs: 5000, timeline });
    expect(timeIn(timeline, (s) => s.startsWith('ingesting.'))).toBe(4000);
    expect(draft.requests.rateLimitPauseMs).toBe(1500);
    expect(draft.throughput).toEqual({ recordsPerSecond: 100, pagesPerSecond: 1, staging: summary.counters.staging });
    expect(draft.durationMs).toBe(5000);
    expect(draft.status).toBe('succeeded');
    expect(draft).not.toHaveProperty('error');
  });

  it('falls back to the announced waits and the whole run when no timeline was recorded', () => {
    const draft = assembleDraftReport(summary, { startedAtMs: 0, finishedAtMs: 8000, timeline: [] });
    expect(draft.requests.rateLimitPauseMs).toBe(3000);
    expect(draft.throughput).toEqual({ recordsPerSecond: 50, pagesPerSecond: 0.5, staging: summary.counters.staging });
  });

  it('leaves out what did not happen and marks a failure', () => {
    const draft = assembleDraftReport(
      { ...summary, file: null, delivery: null, failure: { step: 'fetching', message: 'x' } },
      { startedAtMs: 0, finishedAtMs: 0, timeline: [] },
    );
    expect(draft.status).toBe('failed');
    expect(draft).not.toHaveProperty('output');
    expect(draft).not.toHaveProperty('delivery');
    expect(draft.pages).not.toHaveProperty('total');
    expect(draft.records).toEqual({ received: 400, unique: 400, duplicates: 0, withoutKey: 0, refused: 0, rejected: 0 });
    expect(draft.throughput).toEqual({ recordsPerSecond: 0, pagesPerSecond: 0, staging: summary.counters.staging });
  });
});

describe('reports without a writer', () => {
  it('fallbackReport has no times, since the machine alone has no clock', () => {
    const report = fallbackReport(summary);
    expect(report.startedAt).toBe('');
    expect(report.finishedAt).toBe('');
    expect(report.status).toBe('succeeded');
    expect(report).not.toHaveProperty('cancelled');
  });

  it('reportFromError keeps the draft a ReportWriteError carries', () => {
    const draft = assembleDraftReport(summary, { startedAtMs: 1000, finishedAtMs: 2000, timeline: [visit('reporting', 0)] });
    const report = reportFromError(new ReportWriteError('disk full', draft), summary);
    expect(report.status).toBe('failed');
    expect(report.error).toBe('Writing the report failed: disk full');
    expect(report.startedAt).toBe(new Date(1000).toISOString());
    expect(report.timeline).toEqual([visit('reporting', 0)]);
    expect(report).not.toHaveProperty('cancelled');
  });

  it('reportFromError names the run’s own failure or cancel first', () => {
    const cancelled = { ...summary, cancelled: true, cancelReason: 'SIGINT' };
    expect(reportFromError(new Error('EACCES'), cancelled).error).toBe(
      'The run was cancelled (SIGINT); the checkpoint is kept: run again with the same run id to resume; writing the report failed too: EACCES',
    );
    const report = reportFromError('EIO', { ...summary, delivery: null, failure: { step: 'writing', message: 'ENOSPC' } });
    expect(report.error).toMatch(/^Writing the final file failed: ENOSPC .*; writing the report failed too: EIO$/);
    expect(report.startedAt).toBe('');
  });
});
