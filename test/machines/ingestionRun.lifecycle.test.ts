import { describe, expect, it } from 'vitest';
import { AuthError, HttpStatusError, UploadError } from '../../src/errors.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { STEP_MS, delivery, harness, input, run, staged, visits, writtenFile, type Scripted } from './runHarness.js';

const T0 = Date.UTC(2026, 0, 1);
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
const retry = (page: number, status: number | undefined): StreamEvent => ({
  type: 'page.retry',
  page,
  attempt: 1,
  status,
  outcome: String(status ?? 'timeout'),
  reason: status === undefined ? 'timeout' : `HTTP ${status}`,
  waitMs: 40,
});
/** One request and its answer, told the moment the answer arrived (before what it leads to). */
const answer = (page: number, outcome: string): Scripted[] => [
  [0, { type: 'request.sent', page }],
  [0, { type: 'request.done', page, outcome, bytes: 100 }],
];
const completed = (pages: number, records: number): StreamEvent => ({ type: 'stream.completed', pages, records });

describe('ingestion run machine: the happy path', () => {
  const script: Scripted[] = [
    [100, staged(1, 100, 3)],
    ...answer(1, '200'),
    [50, retry(2, 503)],
    ...answer(2, '503'),
    [100, staged(2, 100, 3)],
    ...answer(2, '200'),
    [10, { type: 'paging.anomaly', page: 3, message: 'total_records changed from 290 to 291' }],
    [40, { type: 'pages.committed', pages: 1, transactions: 1, parseMs: 3, appendMs: 12, checkpointMs: 1, commitMs: 4 }],
    [0, staged(3, 90, 3)],
    ...answer(3, '200'),
    [0, completed(3, 290)],
  ];

  it('goes authenticating -> fetching -> writing -> uploading -> reporting -> succeeded, timed by the clock', async () => {
    const h = harness({ script });
    const { report } = await run(h);

    expect(report.status).toBe('succeeded');
    expect(report.error).toBeUndefined();
    // The timeline in the report is taken as the report is assembled, on entering reporting.
    expect(visits(report.timeline)).toEqual([
      ['authenticating', STEP_MS.prepare],
      ['ingesting.fetching', 300],
      ['writing', STEP_MS.write],
      ['uploading', STEP_MS.upload],
      ['reporting', 0],
    ]);
    expect(report.timeline.map((v) => v.enteredAt)).toEqual([iso(0), iso(200), iso(500), iso(800), iso(1200)]);
    expect(report.startedAt).toBe(iso(0));
    expect(report.finishedAt).toBe(iso(1200));
    expect(report.durationMs).toBe(1200);
    // The recorder goes on to the final state: reporting lasted as long as the writer took.
    expect(visits(h.recorder.timeline()).slice(-2)).toEqual([
      ['reporting', STEP_MS.report],
      ['succeeded', 0],
    ]);
    expect(h.stream.subscribed).toBe(1);
  });

  it('counts exactly the events the stream sent', async () => {
    const h = harness({ script });
    const { report } = await run(h);
    expect(report.requests).toEqual({
      total: 4,
      byStatus: { '200': 3, '503': 1 },
      retries: 1,
      retriesByStatus: { '503': 1 },
      rateLimited: 0,
      rateLimitPauseMs: 0,
      tokenRefreshes: 0,
      logins: 0,
      failedLogins: 0,
      loginMs: 0,
    });
    expect(report.pages).toEqual({ staged: 3, skippedOnResume: 0, total: 3 });
    expect(report.records).toEqual({
      received: 290,
      unique: writtenFile.rows + writtenFile.rejected,
      duplicates: 7,
      withoutKey: 0,
      refused: 0,
      rejected: 3,
    });
    expect(report.anomalies).toEqual(['page 3: total_records changed from 290 to 291']);
    // 290 records and 3 pages in the 300 ms of fetching.
    expect(report.throughput).toEqual({
      recordsPerSecond: 966.67,
      pagesPerSecond: 10,
      staging: { transactions: 1, parseMs: 3, appendMs: 12, checkpointMs: 1, commitMs: 4 },
    });
  });

  it('reports totals of stream.completed that disagree with the events it sent', async () => {
    const h = harness({
      script: [
        [100, staged(1, 10)],
        [0, completed(2, 25)],
      ],
    });
    const { report } = await run(h);
    expect(report.anomalies).toEqual([
      'the stream reports 2 pages staged, its events 1',
      'the stream reports 25 records staged, its events 10',
    ]);
    expect(report.pages).toEqual({ staged: 1, skippedOnResume: 0, total: 1 });
  });

  it('passes the file to the uploader and puts file, delivery and the writer’s quality into the report', async () => {
    const h = harness({ script });
    const { report } = await run(h);
    expect(h.calls.upload).toEqual([{ file: writtenFile }]);
    expect(report.output).toEqual({
      format: 'parquet',
      transform: 'none',
      path: writtenFile.path,
      bytes: writtenFile.bytes,
      rows: writtenFile.rows,
      sha256: writtenFile.sha256,
      checksum: writtenFile.checksum,
      rejectsPath: writtenFile.rejectsPath,
    });
    expect(report.delivery).toEqual(delivery);
    expect(report.quality).toEqual([{ column: 'email', type: 'VARCHAR', nulls: 1, invalid: 2 }]);
    expect(h.calls.drafts).toHaveLength(1);
    expect(h.calls.drafts[0]!.cancelled).toBe(false);
    expect(report).not.toHaveProperty('cancelled');
  });
});

describe('ingestion run machine: run-wide waits inside the one stream', () => {
  it('shows a 429 as backingOff until rateLimit.resumed, without restarting the stream', async () => {
    const h = harness({
      script: [
        [100, staged(1, 10)],
        ...answer(1, '200'),
        [50, { type: 'rateLimit.hit', page: 2, waitMs: 2000, ratePerSecond: 4 }],
        ...answer(2, '429'),
        // A request already in flight may still land during the pause.
        [50, staged(3, 10)],
        ...answer(3, '200'),
        [1950, { type: 'rateLimit.resumed' }],
        [100, staged(2, 10)],
        ...answer(2, '200'),
        [0, completed(3, 30)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(0, 4)).toEqual([
      ['authenticating', 200],
      ['ingesting.fetching', 150],
      ['ingesting.backingOff', 2000],
      ['ingesting.fetching', 100],
    ]);
    expect(report.requests.rateLimited).toBe(1);
    expect(report.requests.byStatus).toEqual({ '200': 3, '429': 1 });
    expect(report.requests.rateLimitPauseMs).toBe(2000);
    expect(report.requests.retries).toBe(0);
    expect(report.pages.staged).toBe(3);
    expect(h.stream.subscribed).toBe(1);
    expect(h.stream.unsubscribed).toBe(1);
    expect(report.status).toBe('succeeded');
  });

  it('stays in backingOff while the limiter is paused: no timer of its own ends the pause it mirrors', async () => {
    const h = harness({
      script: [
        [100, { type: 'rateLimit.hit', page: 1, waitMs: 1000, ratePerSecond: 2 }],
        ...answer(1, '429'),
        // Longer than the announced wait: the limiter (which owns it) has not said it is over.
        [10_000, staged(1, 5)],
        ...answer(1, '200'),
        [0, completed(1, 5)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(1, 4)).toEqual([
      ['ingesting.fetching', 100],
      ['ingesting.backingOff', 10_000],
      ['writing', 300],
    ]);
    expect(report.requests.rateLimitPauseMs).toBe(10_000);
  });

  it('keeps another 429 during the pause in the one backingOff visit', async () => {
    const h = harness({
      script: [
        [100, { type: 'rateLimit.hit', page: 1, waitMs: 1000, ratePerSecond: 2 }],
        ...answer(1, '429'),
        [500, { type: 'rateLimit.hit', page: 2, waitMs: 1000, ratePerSecond: 1 }],
        ...answer(2, '429'),
        [1000, { type: 'rateLimit.resumed' }],
        [10_000, completed(0, 0)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(1, 4)).toEqual([
      ['ingesting.fetching', 100],
      ['ingesting.backingOff', 1500],
      ['ingesting.fetching', 10_000],
    ]);
    expect(report.requests.rateLimited).toBe(2);
    expect(report.requests.byStatus).toEqual({ '429': 2 });
  });

  it('shows an outage pause as backingOff without counting a 429', async () => {
    const h = harness({
      script: [
        [100, retry(1, 503)],
        ...answer(1, '503'),
        [0, { type: 'rateLimit.hit', page: 1, waitMs: 120_000, ratePerSecond: 0.5, cause: 'outage' }],
        [120_000, { type: 'rateLimit.resumed' }],
        [100, staged(1, 10)],
        ...answer(1, '200'),
        [0, completed(1, 10)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(1, 4)).toEqual([
      ['ingesting.fetching', 100],
      ['ingesting.backingOff', 120_000],
      ['ingesting.fetching', 100],
    ]);
    expect(report.requests).toMatchObject({ total: 2, byStatus: { '200': 1, '503': 1 }, rateLimited: 0, retries: 1 });
    expect(report.requests.rateLimitPauseMs).toBe(120_000);
  });

  it('shows a token refresh as refreshingToken until token.refreshed', async () => {
    const h = harness({
      script: [
        [100, staged(1, 10)],
        [20, { type: 'token.refreshing' }],
        [280, { type: 'token.refreshed' }],
        [100, staged(2, 10)],
        [0, completed(2, 20)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(1, 4)).toEqual([
      ['ingesting.fetching', 120],
      ['ingesting.refreshingToken', 280],
      ['ingesting.fetching', 100],
    ]);
    expect(report.requests.tokenRefreshes).toBe(1);
    expect(h.stream.subscribed).toBe(1);
  });

  it('moves between a pause and a refresh that overlap', async () => {
    const h = harness({
      script: [
        [100, { type: 'token.refreshing' }],
        [100, { type: 'rateLimit.hit', page: 1, waitMs: 500, ratePerSecond: 2 }],
        [100, { type: 'token.refreshed' }],
        [400, { type: 'rateLimit.resumed' }],
        [100, { type: 'token.refreshing' }],
        [100, { type: 'token.refreshed' }],
        [0, completed(0, 0)],
      ],
    });
    const { report } = await run(h);
    expect(visits(report.timeline).slice(1, 7)).toEqual([
      ['ingesting.fetching', 100],
      ['ingesting.refreshingToken', 100],
      ['ingesting.backingOff', 500],
      ['ingesting.fetching', 100],
      ['ingesting.refreshingToken', 100],
      ['ingesting.fetching', 0],
    ]);
    // The refresh that finished during the pause counts too.
    expect(report.requests.tokenRefreshes).toBe(2);
    expect(report.requests.rateLimitPauseMs).toBe(500);
  });
});

describe('ingestion run machine: failures still write a report', () => {
  it('prepare failure -> reporting -> failed, before any page is fetched', async () => {
    const h = harness({
      deps: {
        prepare: () => Promise.reject(new AuthError('login refused (401): check the username and password', '/login', 401)),
      },
    });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    expect(report.error).toBe('Login, bucket or partition check failed: login refused (401): check the username and password');
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 0],
      ['reporting', 0],
    ]);
    expect(h.stream.subscribed).toBe(0);
    expect(h.calls.write).toBe(0);
    expect(h.calls.upload).toEqual([]);
    expect(h.calls.drafts).toHaveLength(1);
    expect(h.calls.drafts[0]!.status).toBe('failed');
    expect(visits(h.recorder.timeline()).at(-1)).toEqual(['failed', 0]);
    // The report returned is the one the writer wrote (with its quality figures).
    expect(report.quality).toHaveLength(1);
  });

  it('stream error -> failed, keeping the counts of the pages before it; a permanent HTTP error offers no resume', async () => {
    const h = harness({
      script: [
        [100, staged(1, 10)],
        [50, new HttpStatusError('page 2 answered 404 Not Found: check the endpoint', 404, '/customers?page=2')],
      ],
    });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    // A 404 stays a 404: "run again to resume" would send the user round in a circle.
    expect(report.error).toBe('Fetching pages failed: page 2 answered 404 Not Found: check the endpoint');
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 200],
      ['ingesting.fetching', 150],
      ['reporting', 0],
    ]);
    expect(report.pages.staged).toBe(1);
    expect(report.records.received).toBe(10);
    expect(report.output).toBeUndefined();
    expect(h.calls.write).toBe(0);
  });

  it('a stream that completes without stream.completed fails the run instead of writing a partial file', async () => {
    const h = harness({ script: [[100, staged(1, 10)]] });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/^Fetching pages failed: the page stream ended before every page was staged/);
    expect(h.calls.write).toBe(0);
  });

  it('writing failure -> reporting -> failed, nothing uploaded', async () => {
    const h = harness({
      script: [[0, completed(0, 0)]],
      deps: { writeFinalFile: () => Promise.reject(new Error('ENOSPC: no space left on device')) },
    });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/^Writing the final file failed: ENOSPC: no space left on device/);
    expect(visits(report.timeline).map(([s]) => s)).toEqual(['authenticating', 'ingesting.fetching', 'writing', 'reporting']);
    expect(h.calls.upload).toEqual([]);
    expect(report.output).toBeUndefined();
  });

  it('uploading failure -> reporting -> failed, with the written file in the report', async () => {
    const h = harness({
      script: [[0, completed(0, 0)]],
      deps: {
        uploadFile: () => Promise.reject(new UploadError('an object with other content is already at the key: refusing to overwrite')),
      },
    });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/^Uploading the file failed: an object with other content is already at the key/);
    expect(visits(report.timeline).map(([s]) => s)).toEqual(['authenticating', 'ingesting.fetching', 'writing', 'uploading', 'reporting']);
    expect(report.output?.sha256).toBe(writtenFile.sha256);
    expect(report.delivery).toBeUndefined();
    expect(visits(h.recorder.timeline()).at(-1)).toEqual(['failed', 0]);
  });

  it('report failure -> failed, and the machine still outputs the draft, marked failed', async () => {
    const h = harness({
      script: [[0, completed(0, 0)]],
      deps: { writeReport: () => Promise.reject(new Error('EACCES: permission denied, open data/run-1/report.json')) },
    });
    const { report } = await run(h);
    expect(report.status).toBe('failed');
    expect(report.error).toBe('Writing the report failed: EACCES: permission denied, open data/run-1/report.json');
    // Everything else the draft knew is kept: the file was delivered.
    expect(report.delivery).toEqual(delivery);
    expect(report.timeline.map((v) => v.state)).toEqual(['authenticating', 'ingesting.fetching', 'writing', 'uploading', 'reporting']);
    expect(report).not.toHaveProperty('cancelled');
    expect(visits(h.recorder.timeline()).at(-1)).toEqual(['failed', 0]);
  });
});

describe('ingestion run machine: resume', () => {
  it('skips fetching and writing when the file is already written', async () => {
    const h = harness({ script: [[0, completed(0, 0)]] });
    const { report } = await run(h, { ...input, resume: { pagesStaged: 3, file: writtenFile } });
    expect(visits(report.timeline)).toEqual([
      ['authenticating', STEP_MS.prepare],
      ['uploading', STEP_MS.upload],
      ['reporting', 0],
    ]);
    expect(h.stream.subscribed).toBe(0);
    expect(h.calls.write).toBe(0);
    expect(h.calls.upload).toEqual([{ file: writtenFile }]);
    expect(report.status).toBe('succeeded');
    expect(report.resumed).toBe(true);
    expect(report.pages).toEqual({ staged: 0, skippedOnResume: 3 });
  });

  it('skips to the report when the file is already delivered', async () => {
    const h = harness();
    const done = { ...delivery, status: 'alreadyDelivered' as const };
    const { report } = await run(h, { ...input, resume: { file: writtenFile, delivery: done } });
    expect(visits(report.timeline)).toEqual([
      ['authenticating', STEP_MS.prepare],
      ['reporting', 0],
    ]);
    expect(h.calls.write).toBe(0);
    expect(h.calls.upload).toEqual([]);
    expect(report.status).toBe('succeeded');
    expect(report.delivery).toEqual(done);
    expect(report.output?.path).toBe(writtenFile.path);
  });

  it('tells the stream how many pages are already committed and reports them as skipped', async () => {
    const h = harness({
      script: [
        [100, staged(4, 10, 5)],
        [100, staged(5, 10, 5)],
        [0, completed(2, 20)],
      ],
    });
    const { report } = await run(h, { ...input, resume: { pagesStaged: 3 } });
    expect(h.stream.inputs).toEqual([
      { runId: input.runId, dataset: input.dataset, endpoint: input.endpoint, transform: 'none', pagesStagedBefore: 3 },
    ]);
    expect(report.resumed).toBe(true);
    expect(report.pages).toEqual({ staged: 2, skippedOnResume: 3, total: 5 });
    expect(report.status).toBe('succeeded');
  });
});
