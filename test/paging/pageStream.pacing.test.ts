import { describe, expect, it } from 'vitest';
import { AuthClient } from '../../src/auth/authClient.js';
import { seededRandom } from '../../src/runtime/random.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch } from '../../src/simulator/index.js';
import { recordingFetch, type Exchange } from './recordingFetch.js';
import { range, runStream, stagedIds } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';

const paging = simPaging('page', 100);
const t0 = Date.UTC(2026, 0, 1);
/** An API whose limit the stream learns from 429s alone: no headers, no faults, answers in 50-150 ms. */
const learnedLimit = {
  profile: 'calm',
  faultsOnLogin: false,
  rateLimitHeaders: false,
  latency: { kind: 'uniform', minMs: 50, maxMs: 150 },
} as const;

describe('pacing through the stream', () => {
  it('an outage costs the server little: ≤ 0.2 × the limit while it lasts, and the run recovers', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const outage = { startMs: 10_000, endMs: 30_000 };
    const r = await runStream(
      { profile: 'flaky', records: 40_000, faultsOnLogin: false, outages: [outage], seed: 4 },
      { ...paging },
      {
        wrap: (f, c) => {
          const rec = recordingFetch(f, c);
          holder.log = rec.log;
          return rec.fetch;
        },
      },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(40_000));
    const during = holder.log.filter((x) => x.path === '/customers' && x.sentAt >= t0 + outage.startMs && x.sentAt < t0 + outage.endMs);
    expect(during.length).toBeLessThanOrEqual(0.2 * 10 * 20);
    const pauses = r.events.filter((e) => e.type === 'rateLimit.hit' && e.cause === 'outage');
    expect(pauses.length).toBeGreaterThan(0);
    expect(r.events.filter((e) => e.type === 'rateLimit.resumed').length).toBeGreaterThan(0);
  });

  it('sends a busy API no more requests at once than answer faster (PipeLimit), and loses nothing', async () => {
    // The API answers one request at a time, 10 ms each: 100 pages a second however many wait.
    let freeAt = 0;
    let out = 0;
    const peakBySecond: number[] = [];
    const r = await runStream(
      { profile: 'calm', records: 120_000, faultsOnLogin: false },
      { ...simPaging('page', 50), rateLimit: 1000 },
      {
        wrap: (fetch, clock) => async (input, init) => {
          const second = Math.floor((clock.now() - t0) / 1000);
          peakBySecond[second] = Math.max(peakBySecond[second] ?? 0, ++out);
          freeAt = Math.max(clock.now(), freeAt) + 10;
          try {
            await clock.sleep(freeAt - clock.now(), init?.signal ?? undefined);
            return await fetch(input, init);
          } finally {
            out--;
          }
        },
      },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(120_000));
    // At first as many as Little's law allows (64); a quarter fewer each second that answers as
    // many, down to three within 16 s (64, 64, 48, 36, 27, … 5, 4, 3 at most), as fast as it goes.
    expect(Math.max(...peakBySecond.slice(0, 2))).toBeGreaterThan(8);
    expect(Math.max(...peakBySecond.slice(16))).toBeLessThanOrEqual(3);
    expect(r.elapsedMs).toBeLessThan(1.1 * 24_000);
  });

  it('asks a page again before the pages it has not asked yet', async () => {
    // At 10 req/s, dozens of pages wait for a slot: a retry behind them all came only at the run's end.
    const asked: number[] = [];
    const r = await runStream(
      { profile: 'calm', records: 30_000, seed: 2 },
      { ...paging, rateLimit: 10 },
      {
        wrap: (f) => async (input, init) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          if (url.pathname !== '/customers') return f(input, init);
          const page = Number(url.searchParams.get('page'));
          asked.push(page);
          return page === 3 && asked.filter((p) => p === 3).length === 1
            ? new Response('{"error":"internal"}', { status: 500 })
            : f(input, init);
        },
      },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(30_000));
    const first = asked.indexOf(3);
    const again = asked.indexOf(3, first + 1);
    expect(again).toBeGreaterThan(first);
    // Its backoff (at most about 250 ms here) lets 2 or 3 requests go at 10 req/s; no more.
    expect(again - first - 1).toBeLessThanOrEqual(4);
  });

  it('with rate-limit headers the stream runs just under the limit and is never answered 429', async () => {
    const r = await runStream(
      { profile: 'flaky', records: 30_000, faultsOnLogin: false, serverErrorRate: 0, unavailableRate: 0, seed: 6 },
      { ...paging },
    );
    expect(r.error).toBeUndefined();
    expect(r.counts.requests.rateLimited).toBe(0);
    // 300 pages at 10 req/s with a burst of 10: at least 95% of the limit.
    expect(300 / (r.elapsedMs / 1000)).toBeGreaterThan(9.5);
  });

  it('without headers it discovers the limit from 429s and holds them to a small share', async () => {
    const r = await runStream({ profile: 'flaky', records: 60_000, faultsOnLogin: false, rateLimitHeaders: false, seed: 6 }, { ...paging });
    expect(r.error).toBeUndefined();
    const { rateLimited, total: requests } = r.counts.requests;
    expect(rateLimited).toBeGreaterThan(0);
    expect(rateLimited / requests).toBeLessThan(0.02);
    expect(r.stream.gauges().ratePerSecond).toBeGreaterThan(8);
    expect(r.stream.gauges().ratePerSecond).toBeLessThan(12);
  });

  it('without headers, reads a fast limit from 429s at the end of slow start within reach of it (30 req/s, a burst of 30)', async () => {
    const r = await runStream({ ...learnedLimit, records: 900 * 100, rateLimit: 30, rateLimitBurst: 30, seed: 1 }, { ...paging });
    expect(r.error).toBeUndefined();
    expect(r.counts.requests.rateLimited).toBeGreaterThan(0);
    expect(r.counts.requests.rateLimited / r.counts.requests.total).toBeLessThan(0.05);
    // Slow start passed 100 req/s before the first 429: its last 20 answers, counted as a second,
    // read the limit as about 20 req/s, and the probe, meant to keep near a measured ceiling, stayed near that.
    expect(900 / (r.elapsedMs / 1000)).toBeGreaterThan(0.85 * 30);
  });

  it('without headers, paces an API that allows no burst (each request 1/R after the last) at a fair share of its limit', async () => {
    const r = await runStream({ ...learnedLimit, records: 600 * 100, rateLimit: 10, rateLimitBurst: 1, seed: 1 }, { ...paging });
    expect(r.error).toBeUndefined();
    expect(r.counts.requests.rateLimited / r.counts.requests.total).toBeLessThan(0.02);
    // Answers that vary by 100 ms leave no client the whole limit without 429s. A doubling of
    // slow start earned at the new rate sent two requests together: refused, read as a limit of 2
    // req/s, and probed up from there, the run went at 0.29 of the limit.
    expect(600 / (r.elapsedMs / 1000)).toBeGreaterThan(0.4 * 10);
  });

  it('reliability row 6 with the real AuthClient: short-lived tokens are refreshed and the run completes', async () => {
    const clock = new SimulatedClock(t0);
    const sim = { profile: 'hostile', records: 2000, seed: 12, outages: [] } as const;
    const loginSim = createSimulatorFetch(sim, clock);
    const runtime = createRuntime({ clock, random: seededRandom(3), fetch: loginSim.fetch });
    const auth = Object.assign(new AuthClient({ baseUrl: loginSim.url, username: 'demo', password: 'demo-password' }, runtime), {
      logins: 0,
    });
    const r = await runStream(sim, { ...simPaging('page', 50) }, { clock, auth });
    expect(r.error).toBeUndefined();
    expect(new Set(stagedIds(r.staged))).toEqual(new Set(range(2000)));
    expect(r.counts.requests.tokenRefreshes).toBeGreaterThan(0);
  });
});
