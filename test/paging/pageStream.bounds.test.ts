import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, TimeoutError } from '../../src/errors.js';
import { RetryLimitError } from '../../src/http/retryLimitError.js';
import { pageStream } from '../../src/paging/pageStream.js';
import type { StagedPage } from '../../src/paging/pageStreamOptions.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { realClock } from '../../src/runtime/clock.js';
import { createRuntime, type Fetch } from '../../src/runtime/runtime.js';
import { ids } from './fakeApi.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { NoAuth } from '../../src/auth/staticAuth.js';
import { recordingFetch, type Exchange } from './recordingFetch.js';
import { simAuth } from './simAuth.js';
import { range, runStream, stagedIds } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';

const calm = { profile: 'calm', records: 500, faultsOnLogin: false } as const;
const paging = simPaging('page', 50);

describe('run-wide bounds', () => {
  it('the overall deadline stops dispatching, lets in-flight pages finish, keeps what was staged and fails loudly', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    // An outage from 3 s to 4 min (its Retry-After within maxWaitSeconds): the first pages get through, then nothing does.
    const r = await runStream(
      { ...calm, records: 5000, latency: { kind: 'fixed', ms: 100 }, outages: [{ startMs: 3000, endMs: 240_000 }] },
      { ...paging, deadlineSeconds: 60 },
      {
        wrap: (f, c) => {
          const rec = recordingFetch(f, c);
          holder.log = rec.log;
          return rec.fetch;
        },
      },
    );
    expect(r.error).toBeInstanceOf(TimeoutError);
    expect(String(r.error)).toMatch(/deadline of 60 s passed.*last failures: .*503 unavailable/);
    expect(r.staged.length).toBeGreaterThan(0);
    expect(r.staged.length).toBeLessThan(100);
    // Nothing is sent after the deadline, and the run ends soon after it (no sleeping for minutes).
    expect(holder.log.filter((x) => x.sentAt > Date.UTC(2026, 0, 1) + 60_000)).toEqual([]);
    expect(r.elapsedMs).toBeLessThan(60_000 + 15_000);
    // An outage costs the server little: the rate decays to a probe (≤ 0.2 × what the calm start sent).
    const during = holder.log.filter((x) => x.sentAt > Date.UTC(2026, 0, 1) + 20_000).length;
    expect(during / 40).toBeLessThan(1);
  });

  it('reliability row 12: a fixed attempt timeout cuts off a slower response and is named in the failure', async () => {
    const r = await runStream(
      { ...calm, latency: { kind: 'fixed', ms: 2_000 } },
      { ...paging, timeoutSeconds: 1.5, maxAttemptsPerPage: 2 },
    );
    expect(r.staged).toEqual([]);
    expect(String(r.error)).toMatch(/timeout: no complete response within 1500 ms/);
    const fits = await runStream({ ...calm, latency: { kind: 'fixed', ms: 1_000 } }, { ...paging, timeoutSeconds: 1.5 });
    expect(fits.error).toBeUndefined();
    expect(stagedIds(fits.staged)).toEqual(range(500));
  });

  it('a run whose retries pass the allowed share of requests fails, listing the last failures', async () => {
    const r = await runStream(
      { ...calm, records: 5000, serverErrorRate: 0.6, seed: 1 },
      { ...paging, maxRetryShare: 0.3, retryBudget: { minRequests: 30 } },
    );
    expect(r.error).toBeInstanceOf(RetryLimitError);
    expect(String(r.error)).toMatch(/retries passed 30% of all requests.*last failures: page \d+ attempt \d+: 50[023]/);
  });

  it('the retry budget delays retries when it runs dry, it never drops them', async () => {
    const r = await runStream(
      { ...calm, serverErrorRate: 0.5, seed: 2 },
      { ...paging, maxRetryShare: 0.9, retryBudget: { capacity: 2, perSuccess: 0.1, floorPerSecond: 0.5 } },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(500));
    // More retries than tokens ever held: the rest waited for the floor refill.
    expect(r.counts.requests.retries).toBeGreaterThan(4);
  });

  it('slots follow the bytes held, not a page count: small pages from a slow API get many, large ones few', async () => {
    // A slot holds a page from its request until it is staged.
    const small = { ...calm, records: 4000, latency: { kind: 'fixed', ms: 200 } } as const;
    const many = await runStream(small, simPaging('page', 10));
    expect(many.error).toBeUndefined();
    expect(stagedIds(many.staged)).toEqual(range(4000));
    expect(many.stream.gauges().peakInFlight).toBeGreaterThan(16);
    // The same pages with room for about three bodies: never more than three slots.
    const body = JSON.stringify(many.staged[0]!.records).length;
    const few = await runStream(small, { ...simPaging('page', 10), maxBytesHeld: Math.round(3.5 * body) });
    expect(few.error).toBeUndefined();
    expect(stagedIds(few.staged)).toEqual(range(4000));
    expect(few.stream.gauges().peakInFlight).toBeLessThanOrEqual(3);
  });

  it('a page waiting to be staged holds a slot beside the requests in flight: a slow commit does not take their places', async () => {
    // Real time: on a simulated clock a commit takes none (the clock waits for it), so pages never wait for one.
    // Answers take 20 ms, so that requests overlap.
    let inFlight = 0;
    let peakRequests = 0;
    let fetched = 0;
    const fetch: Fetch = async (input) => {
      const page = Number(new URL(String(input)).searchParams.get('page'));
      inFlight++;
      peakRequests = Math.max(peakRequests, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
      fetched++;
      return new Response(JSON.stringify({ data: ids(page * 10 - 9, page * 10), metadata: { total_pages: 40 } }), { status: 200 });
    };
    let commit: () => void = () => undefined;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let batches = 0;
    const stream = pageStream(
      { url: 'http://api.test/items', ...simPaging('page', 10), maxInFlight: 4, rateLimit: 1000 },
      {
        runtime: createRuntime({ clock: realClock, fetch }),
        auth: new NoAuth(),
        scheduler: clockScheduler(realClock),
        // The first commit holds until the test lets it go; the rest are at once.
        stage: async () => {
          if (batches++ === 0) await committed;
        },
      },
    );
    const done = lastValueFrom(stream.pipe(toArray()));
    try {
      // While it holds, requests go on, four at a time, beside the pages waiting for it.
      await vi.waitFor(() => expect(fetched).toBeGreaterThanOrEqual(12), { timeout: 5_000, interval: 5 });
    } finally {
      commit();
    }
    const events = await done;
    expect(events.at(-1)).toEqual({ type: 'stream.completed', pages: 40, records: 400 });
    expect(peakRequests).toBe(4);
    expect(stream.gauges().peakInFlight).toBeGreaterThan(4);
  });

  it('tells what each commit cost: one event per stage call, before its pages, with the time the stager measured', async () => {
    const batches: number[] = [];
    const r = await runStream(calm, paging, {
      stage: async (pages) => {
        batches.push(pages.length);
        return { transactions: 1, appendMs: 10 * pages.length, checkpointMs: pages.length, commitMs: 3 };
      },
    });
    expect(r.error).toBeUndefined();
    const committed = r.events.flatMap((e) => (e.type === 'pages.committed' ? [e] : []));
    expect(committed.map((e) => e.pages)).toEqual(batches);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(10);
    // Virtual time does not move while a body is parsed.
    expect(committed.every((e) => e.parseMs === 0 && e.appendMs === 10 * e.pages && e.commitMs === 3)).toBe(true);
    expect(r.counts.staging).toEqual({
      transactions: batches.length,
      parseMs: 0,
      appendMs: 100,
      checkpointMs: 10,
      commitMs: 3 * batches.length,
    });
    // Each batch's event comes before its pages' `page.staged`.
    const order = r.events.filter((e) => e.type === 'pages.committed' || e.type === 'page.staged').map((e) => e.type);
    expect(order[0]).toBe('pages.committed');
    // A stager that does not measure: the pages are still told, with no time.
    const plain = await runStream(calm, paging);
    const untimed = plain.events.flatMap((e) => (e.type === 'pages.committed' ? [e] : []));
    expect(untimed.reduce((n, e) => n + e.pages, 0)).toBe(10);
    expect(plain.counts.staging).toEqual({ transactions: 0, parseMs: 0, appendMs: 0, checkpointMs: 0, commitMs: 0 });
  });

  it('rejects invalid options at once, naming each one', () => {
    const clock = new SimulatedClock(0);
    const deps = { runtime: createRuntime({ clock }), auth: new NoAuth(), scheduler: clockScheduler(clock), stage: async () => undefined };
    expect(() => pageStream({ url: 'ftp://x', ...simPaging('page', 0), maxPages: -1 }, deps)).toThrow(ConfigError);
    try {
      pageStream({ url: 'ftp://x', ...simPaging('page', 0), maxPages: -1 }, deps);
    } catch (error: unknown) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/"url"/);
      expect(problems).toMatch(/"paginator.pageSize"/);
      expect(problems).toMatch(/"maxPages"/);
    }
  });
});

describe('cancellation', () => {
  it('aborting the run signal aborts in-flight requests and stages nothing afterwards', async () => {
    const controller = new AbortController();
    const holder: { log: Exchange[] } = { log: [] };
    const staged: StagedPage[] = [];
    let abortedAt = -1;
    const r = await runStream(
      { ...calm, records: 5000, latency: { kind: 'fixed', ms: 500 } },
      { ...paging, rateLimit: 20 },
      {
        signal: controller.signal,
        wrap: (f, c) => {
          const rec = recordingFetch(f, c);
          holder.log = rec.log;
          return rec.fetch;
        },
        stage: async (pages) => {
          expect(controller.signal.aborted).toBe(false);
          staged.push(...pages);
          if (staged.length >= 5 && abortedAt < 0) {
            abortedAt = holder.log.length;
            controller.abort(new Error('operator cancelled'));
          }
        },
      },
    );
    expect(String(r.error)).toMatch(/operator cancelled/);
    expect(staged.length).toBeGreaterThanOrEqual(5);
    const inFlight = holder.log.slice(0, abortedAt).filter((x) => x.endedAt === undefined || x.error !== undefined);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.every((x) => x.signal?.aborted)).toBe(true);
    expect(holder.log).toHaveLength(abortedAt); // nothing sent after the abort
    expect(r.events.some((e) => e.type === 'stream.completed')).toBe(false);
  });

  it('unsubscribing cancels the run the same way', async () => {
    const clock = new SimulatedClock(0);
    const { createSimulatorFetch } = await import('../../src/simulator/index.js');
    const sim = createSimulatorFetch({ ...calm, records: 5000, latency: { kind: 'fixed', ms: 500 } }, clock);
    const rec = recordingFetch(sim.fetch, clock);
    const staged: number[] = [];
    const stream = pageStream(
      { url: `${sim.url}/customers`, ...paging },
      {
        runtime: createRuntime({ clock, fetch: rec.fetch }),
        auth: simAuth(sim.fetch, clock, sim.url),
        scheduler: clockScheduler(clock),
        stage: async (pages) => void staged.push(...pages.map((p) => p.page)),
      },
    );
    const errors: unknown[] = [];
    const subscription = stream.subscribe({ error: (e: unknown) => errors.push(e) });
    await clock.advance(3000);
    subscription.unsubscribe();
    const sent = rec.log.length;
    const count = staged.length;
    expect(count).toBeGreaterThan(0);
    expect(rec.log.some((x) => x.endedAt === undefined)).toBe(true);
    await clock.advance(60_000);
    expect(rec.log).toHaveLength(sent);
    expect(staged).toHaveLength(count);
    expect(rec.log.filter((x) => x.endedAt === undefined || x.error !== undefined).every((x) => x.signal?.aborted)).toBe(true);
    expect(errors).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
