import type { StreamEvent } from '../paging/streamEvent.js';
import type { LoginAttemptEvent } from './runEvents.js';
import type { RunCounters } from './runTypes.js';

export const emptyCounters: RunCounters = {
  pagesStaged: 0,
  pagesTotal: null,
  recordsReceived: 0,
  requests: {
    total: 0,
    byStatus: {},
    retries: 0,
    retriesByStatus: {},
    rateLimited: 0,
    rateLimitWaitMs: 0,
    tokenRefreshes: 0,
    logins: 0,
    failedLogins: 0,
    loginMs: 0,
  },
  staging: { transactions: 0, parseMs: 0, appendMs: 0, checkpointMs: 0, commitMs: 0 },
  anomalies: [],
};

function bump(map: Readonly<Record<string, number>>, key: string): Record<string, number> {
  return { ...map, [key]: (map[key] ?? 0) + 1 };
}

/** What the counting needs to know of the run beside the event. */
export interface CountingContext {
  /** A run-wide pause is already under way: a 429 landing in it overlaps it and adds no wait. */
  readonly paused: boolean;
  /** Pages committed by an earlier attempt (resume): part of the total once the stream completes. */
  readonly pagesSkippedOnResume: number;
}

/**
 * The one place a run's figures are counted: each event once. The machine keeps the result in
 * its context; the progress display and the report read it from there.
 */
export function countEvent(c: RunCounters, e: StreamEvent | LoginAttemptEvent, run: CountingContext): RunCounters {
  const r = c.requests;
  switch (e.type) {
    case 'request.sent':
      return { ...c, requests: { ...r, total: r.total + 1 } };
    case 'request.done':
      return {
        ...c,
        requests: { ...r, byStatus: bump(r.byStatus, e.outcome), rateLimited: r.rateLimited + (e.outcome === '429' ? 1 : 0) },
      };
    case 'page.staged':
      return {
        ...c,
        pagesStaged: c.pagesStaged + 1,
        pagesTotal: c.pagesTotal ?? e.totalPages ?? null,
        recordsReceived: c.recordsReceived + e.records,
      };
    case 'pages.committed': {
      const s = c.staging;
      return {
        ...c,
        staging: {
          transactions: s.transactions + e.transactions,
          parseMs: s.parseMs + e.parseMs,
          appendMs: s.appendMs + e.appendMs,
          checkpointMs: s.checkpointMs + e.checkpointMs,
          commitMs: s.commitMs + e.commitMs,
        },
      };
    }
    case 'page.retry':
      return { ...c, requests: { ...r, retries: r.retries + 1, retriesByStatus: bump(r.retriesByStatus, e.outcome) } };
    case 'rateLimit.hit':
      // A 429's request is counted by its `request.done`; an outage pause follows a 503 retry.
      return run.paused ? c : { ...c, requests: { ...r, rateLimitWaitMs: r.rateLimitWaitMs + Math.max(0, e.waitMs) } };
    case 'token.refreshed':
      return { ...c, requests: { ...r, tokenRefreshes: r.tokenRefreshes + 1 } };
    case 'login.attempt':
      return {
        ...c,
        requests: {
          ...r,
          logins: r.logins + 1,
          failedLogins: r.failedLogins + (e.ok ? 0 : 1),
          loginMs: r.loginMs + Math.max(0, e.durationMs),
        },
      };
    case 'paging.anomaly':
      return { ...c, anomalies: [...c.anomalies, `page ${e.page}: ${e.message}`] };
    case 'stream.completed':
      return streamCompleted(c, e, run.pagesSkippedOnResume);
    case 'rateLimit.resumed':
    case 'token.refreshing':
      return c;
  }
}

/**
 * Every page is staged: the total is now known (this run's pages plus those committed before).
 * The stream's own totals must agree with what its events said; a mismatch is reported.
 */
function streamCompleted(c: RunCounters, e: Extract<StreamEvent, { type: 'stream.completed' }>, pagesSkippedOnResume: number): RunCounters {
  const mismatches = [
    ...(e.pages === c.pagesStaged ? [] : [`the stream reports ${e.pages} pages staged, its events ${c.pagesStaged}`]),
    ...(e.records === c.recordsReceived ? [] : [`the stream reports ${e.records} records staged, its events ${c.recordsReceived}`]),
  ];
  return {
    ...c,
    pagesTotal: c.pagesTotal ?? pagesSkippedOnResume + c.pagesStaged,
    anomalies: mismatches.length > 0 ? [...c.anomalies, ...mismatches] : c.anomalies,
  };
}
