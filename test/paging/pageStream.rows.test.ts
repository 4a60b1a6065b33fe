import { describe, expect, it } from 'vitest';
import type { AuthProvider } from '../../src/auth/authProvider.js';
import { AuthError, HttpStatusError, RateLimitError } from '../../src/errors.js';
import { RetryLimitError } from '../../src/http/retryLimitError.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { recordingFetch, type Exchange } from './recordingFetch.js';
import { range, runStream, stagedIds } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';
import { recordCount } from '../../src/staging/recordCount.js';

const paging = simPaging('page', 50);
// Faults hit the pages only, so counts compare with the page endpoint's.
const calm = { profile: 'calm', records: 500, faultsOnLogin: false } as const;

function expectComplete(result: Awaited<ReturnType<typeof runStream>>, records: number) {
  expect(result.error).toBeUndefined();
  expect(stagedIds(result.staged)).toEqual(range(records).flatMap((id) => [id]));
  const pages = result.staged.map((p) => p.page);
  expect(new Set(pages).size).toBe(pages.length);
  expect(result.events.at(-1)).toMatchObject({ type: 'stream.completed', pages: pages.length, records });
}

const ofType = <T extends StreamEvent['type']>(events: StreamEvent[], type: T) =>
  events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);

describe('page stream against the rows of docs/reliability.md', () => {
  it('reliability row 1: 500/502 k times then 200 are retried with backoff + jitter; the counts agree with the server', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runStream(
      { ...calm, records: 1000, serverErrorRate: 0.4, seed: 11 },
      { ...paging },
      { wrap: (f, c) => wrapInto(holder, f, c) },
    );
    expectComplete(r, 1000);
    const served = r.sim.stats().byEndpoint.customers;
    const k = (served['500'] ?? 0) + (served['502'] ?? 0);
    expect(k).toBeGreaterThan(3);
    const retries = ofType(r.events, 'page.retry');
    expect(retries).toHaveLength(k);
    expect(r.counts.requests.retries).toBe(k);
    expect((r.counts.requests.retriesByStatus['500'] ?? 0) + (r.counts.requests.retriesByStatus['502'] ?? 0)).toBe(k);
    // Full jitter: every wait within U(0, 0.25 s × 2^(n−1)), and not all the same.
    for (const e of retries) expect(e.waitMs).toBeLessThanOrEqual(250 * 2 ** (e.attempt - 1));
    expect(new Set(retries.map((e) => e.waitMs)).size).toBeGreaterThan(1);
    expect(holder.log.filter((x) => x.status !== 200)).toHaveLength(k);
  });

  it('reliability row 2: a 503 with Retry-After is retried no sooner than asked', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runStream(
      { ...calm, unavailableRate: 0.3, unavailableRetryAfterRate: 1, unavailableRetryAfterMaxSeconds: 3, seed: 5 },
      { ...paging },
      {
        wrap: (f, c) => wrapInto(holder, f, c),
      },
    );
    expectComplete(r, 500);
    const unavailable = holder.log.filter((x) => x.status === 503);
    expect(unavailable.length).toBeGreaterThan(2);
    for (const x of unavailable) {
      const next = holder.log.find((y) => y.page === x.page && y.sentAt > x.sentAt);
      expect(next).toBeDefined();
      expect(next!.sentAt - x.endedAt!).toBeGreaterThanOrEqual(Number(x.retryAfter) * 1000);
    }
  });

  it.each([
    ['seconds', 0],
    ['HTTP-dates', 1],
  ])('reliability row 3: bursts of 429 with Retry-After in %s pause the whole run; no retry storm; data complete', async (form, rate) => {
    const holder: { log: Exchange[] } = { log: [] };
    const r = await runStream(
      {
        ...calm,
        records: 3000,
        rateLimit: 5,
        rateLimitBurst: 5,
        rateLimitHeaders: false,
        // One form per run: a run meets few 429s, too few to count on a coin's draws giving both.
        retryAfterDateRate: rate,
        latency: { kind: 'uniform', minMs: 20, maxMs: 200 },
        seed: 4,
      },
      { ...paging },
      { wrap: (f, c) => wrapInto(holder, f, c) },
    );
    expectComplete(r, 3000);
    const declined = holder.log.filter((x) => x.status === 429 && x.path === '/customers');
    expect(declined.length).toBeGreaterThan(0);
    expect(declined.every((x) => (form === 'seconds' ? /^\d+$/ : /GMT$/).test(x.retryAfter ?? ''))).toBe(true);
    // No attempt is sent while a pause asked by a 429 is running.
    for (const x of declined) {
      const waitMs = form === 'seconds' ? Number(x.retryAfter) * 1000 : Date.parse(x.retryAfter!) - x.endedAt!;
      const during = holder.log.filter((y) => y.path === '/customers' && y.sentAt > x.endedAt! && y.sentAt < x.endedAt! + waitMs);
      expect(during).toEqual([]);
    }
    const hits = ofType(r.events, 'rateLimit.hit');
    expect(hits).toHaveLength(declined.length);
    expect(r.counts.requests.rateLimited).toBe(r.sim.stats().rateLimited);
    expect(ofType(r.events, 'rateLimit.resumed').length).toBeGreaterThan(0);
    // Pacing, not hammering: few of the attempts were declined.
    expect(declined.length / r.counts.requests.total).toBeLessThan(0.1);
    // Each hit is followed by a resume before the stream completes.
    const lastHit = r.events.findLastIndex((e) => e.type === 'rateLimit.hit');
    expect(r.events.findIndex((e, i) => i > lastHit && e.type === 'rateLimit.resumed')).toBeGreaterThan(lastHit);
  });

  it('reliability row 4: a Retry-After far beyond the allowed wait fails clearly; the committed pages are kept and a rerun resumes', async () => {
    // Refill of one token per 1000 s: the second request is told to come back in 1000 s.
    const first = await runStream({ ...calm, rateLimit: 0.001, rateLimitBurst: 1 }, { ...paging });
    expect(first.error).toBeInstanceOf(RateLimitError);
    expect((first.error as RateLimitError).retryAfterMs).toBeGreaterThan(900_000);
    expect(String(first.error)).toMatch(/allowed 300 s/);
    expect(first.staged.map((p) => p.page)).toEqual([1]);
    const rerun = await runStream(calm, { ...paging, resume: { committedPages: first.staged.map((p) => p.page) } });
    expect(rerun.error).toBeUndefined();
    expect(rerun.staged.map((p) => p.page).sort((a, b) => a - b)).toEqual(range(10).slice(1));
    expect(rerun.sim.stats().byEndpoint.customers['200']).toBe(9);
  });

  it('reliability row 4: a 503 asking for more than the allowed wait fails the same way, at once, instead of waiting attempt after attempt', async () => {
    // Down from 2 s for an hour: every 503 says come back in ~1 h.
    const r = await runStream(
      { ...calm, records: 5000, latency: { kind: 'fixed', ms: 100 }, outages: [{ startMs: 2000, endMs: 3_600_000 }] },
      { ...paging },
    );
    expect(r.error).toBeInstanceOf(RateLimitError);
    expect(String(r.error)).toMatch(/asks to wait 3\d{3} s \(Retry-After\), more than the allowed 300 s/);
    expect(r.staged.length).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeLessThan(10_000);
  });

  it('reliability row 5: 5xx that never stops fails clearly, naming the last status, after 8 attempts of the page', async () => {
    const r = await runStream({ ...calm, serverErrorRate: 1 }, { ...paging });
    expect(r.error).toBeInstanceOf(RetryLimitError);
    const message = String((r.error as Error).message);
    expect(message).toMatch(/page 1 failed 8 times/);
    expect(message).toMatch(/attempt 8: 50[02] /);
    expect((r.error as RetryLimitError).failures).toHaveLength(8);
    expect(r.staged).toEqual([]);
    expect(r.counts.requests.total).toBe(8);
  });

  it('reliability row 6: a token expiring mid-run is refreshed once and the request repeated; the run continues', async () => {
    const { simAuth } = await import('./simAuth.js');
    const { SimulatedClock } = await import('../../src/runtime/simulatedClock.js');
    const { createSimulatorFetch } = await import('../../src/simulator/index.js');
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const sim = { ...calm, records: 2000, tokenLifetimeSeconds: 2, latency: { kind: 'fixed', ms: 300 } } as const;
    // The auth provider only learns of expiry through the 401 (no proactive refresh).
    const loginSim = createSimulatorFetch(sim, clock);
    const auth = simAuth(loginSim.fetch, clock, loginSim.url, 'demo-password', false);
    const r = await runStream(sim, { ...paging, rateLimit: 4 }, { clock, auth });
    expectComplete(r, 2000);
    expect(r.sim.stats().faults.token_expired).toBeGreaterThan(0);
    const refreshing = ofType(r.events, 'token.refreshing').length;
    expect(refreshing).toBeGreaterThan(0);
    expect(ofType(r.events, 'token.refreshed').length).toBe(refreshing);
    expect(r.counts.requests.tokenRefreshes).toBe(auth.logins - 1);
    expect(r.counts.requests.retries).toBe(0); // a 401 is not a failure
  });

  it('reliability row 6: a 401 right after a fresh login is a clear failure', async () => {
    const auth: AuthProvider & { logins: number } = {
      logins: 1,
      getAuthHeader: async () => 'Bearer not-a-jwt',
      invalidate: () => undefined,
    };
    const r = await runStream(calm, { ...paging }, { auth });
    expect(r.error).toBeInstanceOf(AuthError);
    expect(String(r.error)).toMatch(/refused the credentials it was just given \(401/);
    expect(String(r.error)).not.toContain('not-a-jwt');
    expect(r.counts.requests.total).toBe(1);
  });

  it('reliability row 7: wrong credentials at login fail at once, no retries, no password in the message', async () => {
    let calls = 0;
    const auth: AuthProvider & { logins: number } = {
      logins: 0,
      getAuthHeader: async () => {
        calls++;
        throw new AuthError('login refused (401): check the username and password', 'http://simulator.invalid/login', 401);
      },
      invalidate: () => undefined,
    };
    const r = await runStream(calm, { ...paging }, { auth });
    expect(r.error).toBeInstanceOf(AuthError);
    expect(calls).toBe(1);
    expect(r.sim.stats().byEndpoint.customers).toEqual({});
    expect(String(r.error)).not.toContain('demo-password');
  });

  it.each([400, 403, 404])(
    'reliability row 8: %i on a page is not retried and fails clearly with the URL (no secrets) and status',
    async (status) => {
      const holder: { log: Exchange[] } = { log: [] };
      const r = await runStream(
        calm,
        { ...paging, path: '/customers?api_key=s3cret' },
        {
          wrap: (f, c) =>
            wrapInto(holder, f, c, (url) =>
              url.searchParams.get('page') === '3' ? new Response('{"error":"nope"}', { status }) : undefined,
            ),
        },
      );
      expect(r.error).toBeInstanceOf(HttpStatusError);
      const error = r.error as HttpStatusError;
      expect(error.status).toBe(status);
      expect(error.url).toContain('/customers?page=3');
      expect(error.message).toContain(String(status));
      expect(error.message).not.toContain('s3cret');
      expect(holder.log.filter((x) => x.page === '3')).toHaveLength(1);
      expect(r.staged.map((p) => p.page)).not.toContain(3);
    },
  );

  it('reliability row 9: connection resets are retried; data complete', async () => {
    const r = await runStream({ ...calm, resetRate: 0.25, seed: 9 }, { ...paging });
    expectComplete(r, 500);
    expect(r.sim.stats().faults.reset).toBeGreaterThan(0);
    expect(r.counts.requests.retriesByStatus['network']).toBe(r.sim.stats().faults.reset);
  });

  it('reliability row 10: truncated JSON and HTML with 200 are rejected, retried, never staged', async () => {
    const r = await runStream({ ...calm, truncateRate: 0.2, wrongContentRate: 0.2, seed: 4 }, { ...paging });
    expectComplete(r, 500);
    const bad = r.sim.stats().faults.truncated + r.sim.stats().faults.wrong_content;
    expect(bad).toBeGreaterThan(1);
    expect(r.counts.requests.retriesByStatus['badBody']).toBe(bad);
    expect(r.staged.every((p) => recordCount(p) === 50)).toBe(true);
  });

  it('reliability row 12: responses slower than the timeout and trickling bodies are aborted by their deadline and retried', async () => {
    const holder: { log: Exchange[] } = { log: [] };
    // At 1 req/s, 20 pages last 20 s: the attempts cut early meet their deadline before the run's tail could hedge them.
    const r = await runStream(
      { ...calm, records: 1000, slowRate: 0.15, slowMs: 90_000, trickleRate: 0.15, trickleIntervalMs: 3000, seed: 2 },
      { ...paging, rateLimit: 1 },
      { wrap: (f, c) => wrapInto(holder, f, c) },
    );
    expectComplete(r, 1000);
    const timeouts = r.counts.requests.byStatus['timeout'] ?? 0;
    expect(timeouts).toBeGreaterThan(1);
    // Every cut attempt was aborted at its 10 s deadline, far before the slow answer would come.
    const aborted = holder.log.filter((x) => x.signal?.aborted);
    expect(aborted.length).toBeGreaterThanOrEqual(timeouts);
    expect(r.elapsedMs).toBeLessThan(90_000);
  });

  it('reliability row 14: a record repeated on a later page is passed through untouched (dedupe happens in staging)', async () => {
    const r = await runStream({ ...calm, records: 1000, duplicateRate: 0.05, seed: 8 }, { ...paging });
    expect(r.error).toBeUndefined();
    const ids = stagedIds(r.staged);
    expect(new Set(ids)).toEqual(new Set(range(1000)));
    expect(ids.length - 1000).toBe(r.sim.stats().duplicatesServed);
  });
});

/** Wraps a fetch with a recorder whose log lands in `holder`. */
function wrapInto(holder: { log: Exchange[] }, f: Fetch, clock: Clock, override?: (url: URL) => Response | undefined): Fetch {
  const rec = recordingFetch(f, clock, override);
  holder.log = rec.log;
  return rec.fetch;
}
