import { describe, expect, it } from 'vitest';
import { PagingError } from '../../src/paging/pagingError.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { NoAuth } from '../../src/auth/staticAuth.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { fakeApi, ids, type FakeRoute } from './fakeApi.js';
import { recordingFetch, type Exchange } from './recordingFetch.js';
import { range, runStream, stagedIds } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';
import { secretPattern } from '../../src/logging/redaction.js';

const auth = Object.assign(new NoAuth(), { logins: 0 });
const calm = { profile: 'calm', faultsOnLogin: false } as const;

/** Runs a stream against a scripted API instead of the simulator. */
function runFake(route: FakeRoute, options: Parameters<typeof runStream>[1], holder?: { log: Exchange[] }) {
  return runStream(
    calm,
    { ...options, path: options.path ?? '/items' },
    {
      auth,
      wrap: (_f: Fetch, clock: Clock) => {
        const rec = recordingFetch(fakeApi(route, clock), clock);
        if (holder) holder.log = rec.log;
        return rec.fetch;
      },
    },
  );
}

/** The most requests that were in flight at the same time. */
function peakOverlap(log: readonly Exchange[]): number {
  let peak = 0;
  for (const x of log) peak = Math.max(peak, log.filter((y) => y.sentAt <= x.sentAt && (y.endedAt ?? Infinity) > x.sentAt).length);
  return peak;
}

const anomalies = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'paging.anomaly' ? [e.message] : []));

/** A page-number API of `total` records in pages of `size`, with optional edits per page. */
function pagesApi(
  total: number,
  size: number,
  edit: (page: number, body: { data: unknown[]; metadata: Record<string, unknown> }) => void = () => undefined,
): FakeRoute {
  return (url) => {
    const page = Number(url.searchParams.get('page'));
    const pages = Math.ceil(total / size);
    const body = {
      data: ids((page - 1) * size + 1, Math.min(total, page * size)) as unknown[],
      metadata: { page, total_pages: pages, total_records: total, has_next: page < pages } as Record<string, unknown>,
    };
    edit(page, body);
    return { body };
  };
}

describe('pagination strategies', () => {
  it('page number with a known total: fetched concurrently, every page exactly once, with its number', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runStream(
      { ...calm, records: 2000, latency: { kind: 'fixed', ms: 200 } },
      { ...simPaging('page', 100), rateLimit: 50 },
      {
        wrap: (f, c) => {
          const rec = recordingFetch(f, c);
          holder.log = rec.log;
          return rec.fetch;
        },
      },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(2000));
    expect(r.staged.map((p) => p.page).sort((a, b) => a - b)).toEqual(range(20));
    expect(peakOverlap(holder.log.filter((x) => x.path === '/customers'))).toBeGreaterThan(2);
    const staged = r.events.filter((e) => e.type === 'page.staged');
    expect(staged.every((e) => e.totalPages === 20)).toBe(true);
  });

  it('page number without a total follows has_next, one page after another', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runFake(
      pagesApi(95, 10, (page, body) => {
        delete body.metadata['total_pages'];
        delete body.metadata['total_records'];
      }),
      { ...simPaging('page', 10) },
      holder,
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(95));
    expect(holder.log).toHaveLength(10);
    expect(peakOverlap(holder.log)).toBe(1);
  });

  it('offset + limit with a total: every offset once, concurrently, records in a nested path', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const route: FakeRoute = (url) => {
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      return { body: { result: { items: ids(offset + 1, Math.min(237, offset + limit)) }, paging: { total: 237 } } };
    };
    const r = await runFake(
      route,
      { paginator: { type: 'offset', pageSize: 20, totalPath: 'paging.total' }, records: 'result.items', rateLimit: 100 },
      holder,
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(237));
    expect(holder.log.map((x) => new URL(`http://x${x.path}`).pathname)).toHaveLength(12);
    expect(peakOverlap(holder.log)).toBeGreaterThan(1);
  });

  it('cursor (as /orders): follows next_cursor to null, hands each next cursor to stage', async () => {
    const r = await runStream({ ...calm, records: 450 }, { path: '/orders', ...simPaging('cursor', 100) });
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(450));
    const sorted = [...r.staged].sort((a, b) => a.page - b.page);
    expect(sorted.map((p) => p.page)).toEqual([1, 2, 3, 4, 5]);
    expect(sorted.at(-1)!.nextCursor).toBeNull();
    expect(sorted.slice(0, -1).every((p) => typeof p.nextCursor === 'string')).toBe(true);
  });

  it('Link rel="next": follows relative and absolute links until there is none', async () => {
    const route: FakeRoute = (url) => {
      const n = Number(url.searchParams.get('n') ?? '1');
      const link =
        n < 4
          ? {
              link:
                n % 2
                  ? `</items?n=${n + 1}>; rel="next", </items?n=1>; rel="first"`
                  : `<http://simulator.invalid/items?n=${n + 1}>; rel=next`,
            }
          : undefined;
      return { body: ids((n - 1) * 5 + 1, n * 5), ...(link ? { headers: link } : {}) };
    };
    const r = await runFake(route, { paginator: { type: 'link' }, records: '$' });
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(20));
  });

  it('resume (page number): committed pages are never fetched again', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runFake(pagesApi(100, 10), { ...simPaging('page', 10), resume: { committedPages: [1, 2, 5, 10] } }, holder);
    expect(r.error).toBeUndefined();
    const fetched = holder.log.map((x) => Number(x.page)).sort((a, b) => a - b);
    expect(fetched).toEqual([3, 4, 6, 7, 8, 9]);
    expect(r.staged.map((p) => p.page).sort((a, b) => a - b)).toEqual([3, 4, 6, 7, 8, 9]);
  });

  it('resume (cursor): starts after the last committed page with its cursor; a null cursor means done', async () => {
    const first = await runStream({ ...calm, records: 500 }, { path: '/orders', ...simPaging('cursor', 100) });
    const page2 = first.staged.find((p) => p.page === 2)!;
    const rerun = await runStream(
      { ...calm, records: 500 },
      { path: '/orders', ...simPaging('cursor', 100), resume: { lastPage: 2, nextCursor: page2.nextCursor } },
    );
    expect(rerun.error).toBeUndefined();
    expect(rerun.staged.map((p) => p.page)).toEqual([3, 4, 5]);
    expect(stagedIds(rerun.staged)).toEqual(range(500).slice(200));
    const done = await runStream(
      { ...calm, records: 500 },
      { path: '/orders', ...simPaging('cursor', 100), resume: { lastPage: 5, nextCursor: null } },
    );
    expect(done.error).toBeUndefined();
    expect(done.sim.stats().byEndpoint.orders).toEqual({});
    expect(done.events).toEqual([{ type: 'stream.completed', pages: 0, records: 0 }]);
  });

  it('hands stage the exact source text and key of each record instead of the parsed records when asked (big integers intact)', async () => {
    const body = '{"data":[{"id":9007199254740993,"n":"a"},{"id":2}],"metadata":{"total_pages":1,"has_next":false}}';
    const r = await runStream(
      calm,
      { ...simPaging('page', 2), path: '/items', keepRawRecords: true },
      {
        auth,
        wrap: (_f, clock) => async (_url, init) => {
          await clock.sleep(10, init?.signal ?? undefined);
          return new Response(body, { status: 200 });
        },
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.staged[0]!.rawRecords).toEqual(['{"id":9007199254740993,"n":"a"}', '{"id":2}']);
    // Keys as staging would take them: an id beyond 2^53 is none.
    expect(r.staged[0]!.keys).toEqual([null, '2']);
    expect(r.staged[0]!.records).toBeUndefined();
    expect(r.counts.recordsReceived).toBe(2);
  });

  it('checks each record against recordLimits as its page arrives, before the page waits to be staged', async () => {
    const body = '{"data":[{"id":1,"a":[[1]]},{"id":2}],"metadata":{"total_pages":1,"has_next":false}}';
    const r = await runStream(
      calm,
      {
        ...simPaging('page', 2),
        path: '/items',
        keepRawRecords: true,
        recordLimits: { maxRecordBytes: 1000, maxRecordDepth: 2, maxRecordKeys: 10 },
      },
      { auth, wrap: () => () => Promise.resolve(new Response(body, { status: 200 })) },
    );
    expect(r.error).toBeUndefined();
    expect(r.staged[0]!.refusals).toEqual(['record nested deeper than maxRecordDepth 2', undefined]);
  });

  it('searches each body once for the recordSecrets and marks the pages holding none secretsFree', async () => {
    // The secret JSON-escaped in the second page: a record holds it in any spelling a body can.
    const bodies = ['{"data":[{"id":1},{"id":2}]}', '{"data":[{"id":3,"note":"tok-\\"7f3a9\\""}]}', '{"data":[]}'];
    const r = await runStream(
      calm,
      {
        path: '/items',
        paginator: { type: 'page', pageParam: 'page', sizeParam: 'limit', pageSize: 2 },
        records: 'data',
        keepRawRecords: true,
        recordSecrets: secretPattern(['tok-"7f3a9"']),
      },
      {
        auth,
        wrap: () => (url) =>
          Promise.resolve(new Response(bodies[Number(new URL(String(url)).searchParams.get('page')) - 1], { status: 200 })),
      },
    );
    expect(r.error).toBeUndefined();
    expect(r.staged.map((p) => [p.page, p.secretsFree])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
  });

  it('a repeated cursor is a failure, not an endless loop', async () => {
    const route: FakeRoute = (url) => {
      const c = url.searchParams.get('cursor');
      const next = c === null ? 'a' : c === 'a' ? 'b' : 'a';
      return { body: { data: ids(1, 2), metadata: { next_cursor: next } } };
    };
    const r = await runFake(route, { paginator: { type: 'cursor', nextCursorPath: 'metadata.next_cursor' }, records: 'data' });
    expect(r.error).toBeInstanceOf(PagingError);
    expect(String(r.error)).toMatch(/page 3 points back to an earlier cursor/);
    expect(r.staged.map((p) => p.page)).toEqual([1, 2, 3]);
  });

  it('stops at maxPages when the API never ends', async () => {
    const route: FakeRoute = (url) => ({
      body: {
        data: ids(Number(url.searchParams.get('page')), Number(url.searchParams.get('page'))),
        metadata: { has_next: true, page: Number(url.searchParams.get('page')) },
      },
    });
    const r = await runFake(route, { ...simPaging('page', 1), maxPages: 25 });
    expect(r.error).toBeInstanceOf(PagingError);
    expect(String(r.error)).toMatch(/more than 25 pages/);
    expect(r.staged).toHaveLength(25);
  });
});

describe('reliability row 13: pagination anomalies are reported; the stream stops only on a defined end condition', () => {
  const paging = simPaging('page', 10);

  it('an empty page before the end is reported; later pages are still fetched', async () => {
    const r = await runFake(
      pagesApi(50, 10, (page, body) => page === 3 && (body.data = [])),
      { ...paging },
    );
    expect(r.error).toBeUndefined();
    expect(r.staged.map((p) => p.page).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(anomalies(r.events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/page 3 is empty before the last page 5/),
        expect.stringMatching(/40 records staged but the API announced 50/),
      ]),
    );
  });

  it('a total that grows mid-run is reported and the new pages are fetched', async () => {
    const r = await runFake(
      pagesApi(50, 10, (page, body) => {
        if (page >= 4) Object.assign(body.metadata, { total_pages: 6, total_records: 60, has_next: page < 6 });
        if (page === 6) body.data = ids(51, 60);
      }),
      { ...paging, rateLimit: 4 },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(60));
    expect(anomalies(r.events).some((m) => /total pages changed from 5 to 6/.test(m))).toBe(true);
  });

  it('has_next=false before total_pages is reported and paging goes on to total_pages', async () => {
    const r = await runFake(
      pagesApi(50, 10, (page, body) => page === 2 && (body.metadata['has_next'] = false)),
      { ...paging },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(50));
    expect(anomalies(r.events)).toEqual([expect.stringMatching(/page 2 says has_next=false but total_pages is 5/)]);
  });

  it('has_next=true on the last page is reported and followed until an empty page', async () => {
    const r = await runFake(
      pagesApi(50, 10, (page, body) => page === 5 && (body.metadata['has_next'] = true)),
      { ...paging },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(50));
    expect(r.staged.map((p) => p.page).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(anomalies(r.events)).toEqual([expect.stringMatching(/page 5 says has_next=true but total_pages is 5/)]);
  });
});
