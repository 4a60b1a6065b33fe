import type { StreamEvent } from '../paging/streamEvent.js';
import type { RunCounters } from './runTypes.js';

/** The status key for attempts that got no HTTP status (network error, timeout, bad body). */
export const NO_STATUS = 'none';

/** The status key of a staged page: the stream stages only 2xx answers. */
export const STAGED_STATUS = '200';

type Counted<T extends StreamEvent['type']> = Extract<StreamEvent, { type: T }>;

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
  },
  anomalies: [],
};

function bump(map: Readonly<Record<string, number>>, key: string): Record<string, number> {
  return { ...map, [key]: (map[key] ?? 0) + 1 };
}

export function countPageStaged(c: RunCounters, e: Counted<'page.staged'>): RunCounters {
  return {
    ...c,
    pagesStaged: c.pagesStaged + 1,
    pagesTotal: c.pagesTotal ?? e.totalPages ?? null,
    recordsReceived: c.recordsReceived + e.records,
    requests: { ...c.requests, total: c.requests.total + 1, byStatus: bump(c.requests.byStatus, STAGED_STATUS) },
  };
}

export function countPageRetry(c: RunCounters, e: Counted<'page.retry'>): RunCounters {
  const key = e.status === undefined ? NO_STATUS : String(e.status);
  const r = c.requests;
  return {
    ...c,
    requests: {
      ...r,
      total: r.total + 1,
      byStatus: bump(r.byStatus, key),
      retries: r.retries + 1,
      retriesByStatus: bump(r.retriesByStatus, key),
    },
  };
}

/**
 * A 429 is an attempt the server declined (not a retry). An outage pause (`cause: 'outage'`)
 * comes from a 503 already counted by its `page.retry`: it adds a pause, not a request. Only a
 * hit that starts a pause adds its wait: hits that land during a pause overlap it.
 */
export function countRateLimitHit(c: RunCounters, e: Counted<'rateLimit.hit'>, startsPause: boolean): RunCounters {
  const r = c.requests;
  const declined = e.cause !== 'outage';
  return {
    ...c,
    requests: {
      ...r,
      total: r.total + (declined ? 1 : 0),
      byStatus: declined ? bump(r.byStatus, '429') : r.byStatus,
      rateLimited: r.rateLimited + (declined ? 1 : 0),
      rateLimitWaitMs: r.rateLimitWaitMs + (startsPause ? Math.max(0, e.waitMs) : 0),
    },
  };
}

export function countTokenRefresh(c: RunCounters): RunCounters {
  return { ...c, requests: { ...c.requests, tokenRefreshes: c.requests.tokenRefreshes + 1 } };
}

export function countAnomaly(c: RunCounters, e: Counted<'paging.anomaly'>): RunCounters {
  return { ...c, anomalies: [...c.anomalies, `page ${e.page}: ${e.message}`] };
}

/**
 * Every page is staged: the total is now known (this run's pages plus those committed before).
 * The stream's own totals must agree with what its events said; a mismatch is reported.
 */
export function countStreamCompleted(c: RunCounters, e: Counted<'stream.completed'>, pagesSkippedOnResume: number): RunCounters {
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
