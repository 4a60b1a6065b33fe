import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, toPromise, type AnyStateNode } from 'xstate';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { fromPageStream } from '../../src/ingestion/pageStreamActor.js';
import { fallbackReport } from '../../src/run/draftReport.js';
import type { StopStreamCommand } from '../../src/run/runEvents.js';
import type { FetchPagesInput, PrepareInput, RunSummary } from '../../src/run/runTypes.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import type { RunReport } from '../../src/report/runReport.js';
import { delivery, harness, input, run, staged, writtenFile, type Scripted } from './runHarness.js';

const eventArb: fc.Arbitrary<StreamEvent> = fc.oneof(
  fc
    .record({ page: fc.nat(50), records: fc.nat(1000), totalPages: fc.option(fc.nat(50), { nil: undefined }) })
    .map(({ page, records, totalPages }) => staged(page, records, totalPages)),
  fc.record({ page: fc.nat(50), status: fc.constantFrom(500, 502, 503, 504, undefined) }).map(({ page, status }): StreamEvent => ({
    type: 'page.retry',
    page,
    attempt: 1,
    status,
    outcome: String(status ?? 'timeout'),
    reason: 'transient',
    waitMs: 10,
  })),
  fc.nat(50).map((page): StreamEvent => ({ type: 'request.sent', page })),
  fc
    .record({ page: fc.nat(50), outcome: fc.constantFrom('200', '401', '429', '500', '503', 'timeout', 'network'), bytes: fc.nat(9999) })
    .map(({ page, outcome, bytes }): StreamEvent => ({ type: 'request.done', page, outcome, bytes })),
  fc.nat(5000).map((waitMs): StreamEvent => ({ type: 'rateLimit.hit', page: 1, waitMs, ratePerSecond: 3 })),
  fc.nat(5000).map((waitMs): StreamEvent => ({ type: 'rateLimit.hit', page: 1, waitMs, ratePerSecond: 3, cause: 'outage' })),
  fc.constant<StreamEvent>({ type: 'rateLimit.resumed' }),
  fc.constant<StreamEvent>({ type: 'token.refreshing' }),
  fc.constant<StreamEvent>({ type: 'token.refreshed' }),
  fc.nat(50).map((page): StreamEvent => ({ type: 'paging.anomaly', page, message: `odd page ${page}` })),
  fc
    .tuple(fc.nat(9), fc.nat(3), fc.nat(500), fc.nat(500), fc.nat(50), fc.nat(200))
    .map(([pages, transactions, parseMs, appendMs, checkpointMs, commitMs]): StreamEvent => ({
      type: 'pages.committed',
      pages,
      transactions,
      parseMs,
      appendMs,
      checkpointMs,
      commitMs,
    })),
);

/** What the report must say, computed from the events independently of the machine. */
function expectedCounts(events: readonly StreamEvent[]) {
  const byStatus: Record<string, number> = {};
  const retriesByStatus: Record<string, number> = {};
  const add = (map: Record<string, number>, key: string): void => void (map[key] = (map[key] ?? 0) + 1);
  let pages = 0;
  let records = 0;
  let total: number | undefined;
  for (const e of events) {
    if (e.type === 'page.staged') {
      pages++;
      records += e.records;
      total ??= e.totalPages;
    } else if (e.type === 'page.retry') add(retriesByStatus, e.outcome);
    else if (e.type === 'request.done') add(byStatus, e.outcome);
  }
  const count = (type: StreamEvent['type']): number => events.filter((e) => e.type === type).length;
  const committed = events.flatMap((e) => (e.type === 'pages.committed' ? [e] : []));
  const sum = (field: 'transactions' | 'parseMs' | 'appendMs' | 'checkpointMs' | 'commitMs'): number =>
    committed.reduce((total, e) => total + e[field], 0);
  const declined = events.filter((e) => e.type === 'request.done' && e.outcome === '429').length;
  return {
    pages,
    records,
    total,
    requests: {
      total: count('request.sent'),
      byStatus,
      retries: count('page.retry'),
      retriesByStatus,
      rateLimited: declined,
      tokenRefreshes: count('token.refreshed'),
    },
    staging: {
      transactions: sum('transactions'),
      parseMs: sum('parseMs'),
      appendMs: sum('appendMs'),
      checkpointMs: sum('checkpointMs'),
      commitMs: sum('commitMs'),
    },
    anomalies: events.flatMap((e) => (e.type === 'paging.anomaly' ? [`page ${e.page}: ${e.message}`] : [])),
  };
}

describe('ingestion run machine: counters and context', () => {
  it('counts exactly the events sent, for any sequence of stream events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 25 }), async (events) => {
        const want = expectedCounts(events);
        const done: StreamEvent = { type: 'stream.completed', pages: want.pages, records: want.records };
        const script: Scripted[] = [...events.map((e): Scripted => [1, e]), [1, done]];
        const h = harness({ script });
        const { report } = await run(h);
        expect(report.status).toBe('succeeded');
        expect(report.pages.staged).toBe(want.pages);
        expect(report.pages.total).toBe(want.total ?? want.pages);
        expect(report.records.received).toBe(want.records);
        expect(report.requests).toMatchObject(want.requests);
        expect(report.throughput.staging).toEqual(want.staging);
        expect(report.anomalies).toEqual(want.anomalies);
        expect(h.stream.subscribed).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a plain JSON-serialisable context in every snapshot, with no records in it', async () => {
    const h = harness({
      script: [
        [100, staged(1, 100, 2)],
        [10, { type: 'page.retry', page: 2, attempt: 1, status: undefined, outcome: 'timeout', reason: 'timeout', waitMs: 20 }],
        [10, { type: 'rateLimit.hit', page: 2, waitMs: 500, ratePerSecond: 2 }],
        [500, { type: 'rateLimit.resumed' }],
        [10, { type: 'token.refreshing' }],
        [10, { type: 'token.refreshed' }],
        [10, { type: 'paging.anomaly', page: 2, message: 'short page' }],
        [10, staged(2, 50, 2)],
        [0, { type: 'stream.completed', pages: 2, records: 150 }],
      ],
    });
    const { snapshots } = await run(h);
    expect(snapshots.length).toBeGreaterThan(10);
    for (const snapshot of snapshots) {
      expect(JSON.parse(JSON.stringify(snapshot.context))).toStrictEqual(snapshot.context);
    }
    const last = snapshots.at(-1)!.context;
    expect(last.file).toEqual(writtenFile);
    expect(last.delivery).toEqual(delivery);
    expect(last.report?.status).toBe('succeeded');
  });

  it('builds its context from the input only', () => {
    const actor = createActor(ingestionRun, { input: { ...input, resume: { pagesStaged: 4, file: writtenFile } } });
    const { context } = actor.getSnapshot();
    expect(context).toStrictEqual({
      run: { runId: input.runId, dataset: input.dataset, endpoint: input.endpoint, transform: input.transform },
      resumed: true,
      pagesSkippedOnResume: 4,
      counters: {
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
      },
      file: writtenFile,
      delivery: null,
      failure: null,
      cancelled: false,
      cancelReason: null,
      report: null,
    });
  });
});

describe('ingestion run machine: dependencies are bound with provide()', () => {
  it('fails clearly, still with a report, when an actor is not provided', async () => {
    const actor = createActor(ingestionRun, { input }).start();
    const report = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(report.status).toBe('failed');
    // The first failure is the cause; the report failure that followed is named too.
    expect(report.error).toMatch(
      /^Login, bucket or partition check failed: .*"prepare" actor was not provided.*; writing the report failed too: .*"writeReport" actor was not provided/,
    );
    expect(actor.getSnapshot().context.failure?.message).toMatch(/"prepare" actor was not provided/);
  });

  it('runs with actors provided directly, writeReport receiving the plain run summary', async () => {
    const summaries: RunSummary[] = [];
    const events: StreamEvent[] = [staged(1, 7, 1), { type: 'stream.completed', pages: 1, records: 7 }];
    const machine = ingestionRun.provide({
      actors: {
        prepare: fromPromise<void, PrepareInput>(async () => undefined),
        fetchPages: fromPageStream(() => from(events)),
        writeFinalFile: fromPromise(async () => writtenFile),
        uploadFile: fromPromise(async () => delivery),
        writeReport: fromPromise<RunReport, RunSummary>(async ({ input: summary }) => {
          summaries.push(summary);
          return fallbackReport(summary);
        }),
      },
    });
    const report = await toPromise(createActor(machine, { input }).start());
    expect(report.status).toBe('succeeded');
    expect(summaries).toEqual([
      expect.objectContaining({
        runId: input.runId,
        file: writtenFile,
        delivery,
        failure: null,
        cancelled: false,
        counters: expect.objectContaining({ pagesStaged: 1, recordsReceived: 7 }),
      }),
    ]);
    expect(JSON.parse(JSON.stringify(summaries[0]))).toStrictEqual(summaries[0]);
  });

  it('counts the stream events a stream actor of its own sends one by one, as fromPageStream sends them together', async () => {
    const machine = ingestionRun.provide({
      actors: {
        prepare: fromPromise<void, PrepareInput>(async () => undefined),
        fetchPages: fromCallback<StopStreamCommand, FetchPagesInput>(({ sendBack }) => {
          const events: StreamEvent[] = [
            { type: 'request.sent', page: 1 },
            { type: 'request.done', page: 1, outcome: '503', bytes: 0 },
            { type: 'page.retry', page: 1, attempt: 1, status: 503, outcome: '503', reason: 'HTTP 503', waitMs: 10 },
            { type: 'request.sent', page: 1 },
            { type: 'request.done', page: 1, outcome: '200', bytes: 100 },
            { type: 'pages.committed', pages: 1, transactions: 1, parseMs: 1, appendMs: 2, checkpointMs: 3, commitMs: 4 },
            staged(1, 7, 1),
            { type: 'paging.anomaly', page: 1, message: 'short page' },
            { type: 'stream.completed', pages: 1, records: 7 },
          ];
          for (const event of events) sendBack(event);
        }),
        writeFinalFile: fromPromise(async () => writtenFile),
        uploadFile: fromPromise(async () => delivery),
        writeReport: fromPromise<RunReport, RunSummary>(async ({ input: summary }) => fallbackReport(summary)),
      },
    });
    const actor = createActor(machine, { input }).start();
    await toPromise(actor);
    expect(actor.getSnapshot().context.counters).toMatchObject({
      pagesStaged: 1,
      recordsReceived: 7,
      requests: { total: 2, byStatus: { '200': 1, '503': 1 }, retries: 1, retriesByStatus: { '503': 1 } },
      staging: { transactions: 1, parseMs: 1, appendMs: 2, checkpointMs: 3, commitMs: 4 },
      anomalies: ['page 1: short page'],
    });
  });

  it('reports a stream whose factory throws as a fetching failure', async () => {
    const machine = ingestionRun.provide({
      actors: {
        prepare: fromPromise<void, PrepareInput>(async () => undefined),
        fetchPages: fromPageStream(() => {
          throw new Error('bad paging options: limit must be at most 1000');
        }),
        writeReport: fromPromise<RunReport, RunSummary>(async ({ input: summary }) => fallbackReport(summary)),
      },
    });
    const report = await toPromise(createActor(machine, { input }).start());
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/^Fetching pages failed: bad paging options: limit must be at most 1000/);
  });
});

describe('ingestion run machine: every state is reachable', () => {
  /** Leaf states of the definition, named as the timeline names them. */
  function leafStates(node: AnyStateNode): string[] {
    const children = Object.values(node.states);
    if (children.length === 0) return [node.path.join('.')];
    return children.flatMap(leafStates);
  }

  it('three runs (pauses and a refresh, a cancel, a failure) visit every leaf state of the definition', async () => {
    const visited = new Set<string>();
    const busy = harness({
      script: [
        [10, { type: 'rateLimit.hit', page: 1, waitMs: 100, ratePerSecond: 1 }],
        [100, { type: 'rateLimit.resumed' }],
        [10, { type: 'token.refreshing' }],
        [10, { type: 'token.refreshed' }],
        [0, { type: 'stream.completed', pages: 0, records: 0 }],
      ],
    });
    await run(busy);
    const cancelled = harness({ script: [[100_000, staged(1, 1)]] });
    const ac = new AbortController();
    cancelled.clock.setTimeout(() => ac.abort('SIGINT'), 300);
    await run(cancelled, input, ac.signal);
    for (const h of [busy, cancelled]) for (const v of h.recorder.timeline()) visited.add(v.state);
    expect([...visited].sort()).toEqual(leafStates(ingestionRun.root).sort());
  });
});
