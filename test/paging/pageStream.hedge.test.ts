import { describe, expect, it } from 'vitest';
import type { Fetch } from '../../src/runtime/runtime.js';
import type { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { range, runStream, stagedIds } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';

/**
 * The simulator's fetch, with the first request for each of `pages` answered only after `ms`
 * (aborted with its signal); `asked` gets when each page was first asked for.
 */
const stragglers =
  (pages: readonly number[], ms: number, asked = new Map<number, number>()) =>
  (fetch: Fetch, clock: SimulatedClock): Fetch => {
    const held = new Set<number>();
    return async (input, init) => {
      const url = new URL(String(input));
      const page = Number(url.searchParams.get('page'));
      if (url.pathname === '/customers' && !asked.has(page)) asked.set(page, clock.now());
      if (url.pathname === '/customers' && pages.includes(page) && !held.has(page)) {
        held.add(page);
        await clock.sleep(ms, init?.signal ?? undefined);
      }
      return fetch(input, init);
    };
  };
const straggler = (page: number, ms: number) => stragglers([page], ms);

describe('hedged requests in the stream', () => {
  it("a straggler among the last pages gets a copy once nothing else waits; the copy's answer is staged once", async () => {
    const r = await runStream({ profile: 'calm', records: 1200, seed: 1 }, { ...simPaging('page', 100) }, { wrap: straggler(3, 9000) });
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(1200));
    expect(r.staged.map((p) => p.page).sort((a, b) => a - b)).toEqual(range(12));
    // The run did not wait for the straggler: its copy answered.
    expect(r.elapsedMs).toBeLessThan(9000);
    const sent = r.events.flatMap((e, i) => (e.type === 'request.sent' ? [{ page: e.page, i }] : []));
    const copy = sent.filter((s) => s.page === 3)[1]!;
    expect(copy).toBeDefined();
    // The copy went once every other page had been asked for.
    expect(sent.filter((s) => s.page !== 3).every((s) => s.i < copy.i)).toBe(true);
    const done = r.events.filter((e) => e.type === 'request.done');
    expect(done.filter((e) => e.outcome === 'superseded')).toEqual([{ type: 'request.done', page: 3, outcome: 'superseded', bytes: 0 }]);
    // Every request sent is accounted for: answered, or superseded by its copy.
    expect(r.counts.requests.total).toBe(13);
    expect(r.counts.requests.byStatus).toEqual({ '200': 12, superseded: 1 });
  });

  it('lends the slot of a late request: answers that hang do not hold back the pages behind them', async () => {
    // An API answering at once: two requests in flight suffice (Little's law), and both hang.
    const asked = new Map<number, number>();
    const r = await runStream(
      { profile: 'calm', records: 3000, seed: 1 },
      { ...simPaging('page', 100), rateLimit: 10 },
      { wrap: stragglers([2, 3], 60_000, asked) },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(3000));
    // Late after 2 s (fewer than 20 answers yet), their slots went to the next pages: the last was
    // asked for at about 10 req/s from there, not after the hanging requests' 10 s timeout.
    expect(asked.get(30)! - asked.get(1)!).toBeLessThan(6000);
    expect(r.elapsedMs).toBeLessThan(10_000);
  });

  it('sends no copy while pages wait for the rate: a straggler early in the run just takes its time', async () => {
    // 50 pages at 10 req/s: late after 2 s (fewer than 20 answers yet), answered at 2.5 s, while most pages still wait.
    const r = await runStream(
      { profile: 'calm', records: 5000, rateLimit: 10, rateLimitBurst: 10, seed: 1 },
      { ...simPaging('page', 100) },
      { wrap: straggler(3, 2500) },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(5000));
    expect(r.elapsedMs).toBeGreaterThan(4000);
    expect(r.counts.requests.byStatus).toEqual({ '200': 50 });
    expect(r.counts.requests.total).toBe(50);
  });
});
