import { describe, expect, it } from 'vitest';
import { attemptTimeoutMs, maxInFlight } from '../../src/pacing/concurrency.js';
import { InFlightGate } from '../../src/pacing/inFlightGate.js';
import { LatencyTracker } from '../../src/pacing/latencyTracker.js';
import { RetryBudget } from '../../src/pacing/retryBudget.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

describe("maxInFlight (Little's law)", () => {
  it.each([
    [10, 200, 5], // ceil(10 × 0.2 × 1.5) + 2
    [10, 1000, 17],
    [0.5, 100, 3],
    [0, 0, 2],
    [1000, 5000, 64],
    [100, 1000, 64],
  ])('r=%d req/s, p99=%d ms → %d', (r, p99, expected) => {
    expect(maxInFlight(r, p99)).toBe(expected);
  });

  it('honours a lower configured cap, never below 2', () => {
    expect(maxInFlight(100, 1000, 8)).toBe(8);
    expect(maxInFlight(100, 1000, 1)).toBe(2);
  });
});

describe('attemptTimeoutMs', () => {
  it('is 10 s until 50 samples, then clamp(2 × p99, 5 s, 60 s)', () => {
    expect(attemptTimeoutMs(undefined, 0)).toBe(10_000);
    expect(attemptTimeoutMs(100, 49)).toBe(10_000);
    expect(attemptTimeoutMs(100, 50)).toBe(5_000);
    expect(attemptTimeoutMs(4000, 50)).toBe(8_000);
    expect(attemptTimeoutMs(90_000, 500)).toBe(60_000);
  });
});

describe('LatencyTracker', () => {
  it('gives quantiles of the recent samples', () => {
    const t = new LatencyTracker(100);
    expect(t.quantile(0.99)).toBeUndefined();
    for (let i = 1; i <= 100; i++) t.record(i);
    expect(t.quantile(0.5)).toBe(50);
    expect(t.quantile(0.99)).toBe(99);
    for (let i = 0; i < 100; i++) t.record(1000);
    expect(t.quantile(0.5)).toBe(1000);
    expect(t.count).toBe(200);
  });
});

describe('InFlightGate', () => {
  it('admits up to the current limit and follows a limit that changes', async () => {
    let limit = 2;
    const gate = new InFlightGate(() => limit);
    const a = await gate.acquire();
    await gate.acquire();
    let third = false;
    const pending = gate.acquire().then((release) => {
      third = true;
      return release;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    limit = 3;
    gate.pump();
    await pending;
    expect(third).toBe(true);
    a();
    a(); // idempotent
    expect(gate.held).toBe(2);
    expect(gate.peak).toBe(3);
  });

  it("rejects a waiter with its signal's reason", async () => {
    const gate = new InFlightGate(() => 1);
    await gate.acquire();
    const ac = new AbortController();
    const waiting = gate.acquire(ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
  });
});

describe('RetryBudget', () => {
  it('lets 20 retries through, then delays (never drops) them at the floor refill, faster with successes', async () => {
    const clock = new SimulatedClock(0);
    const budget = new RetryBudget(clock, { floorPerSecond: 0.2 });
    const times = await clock.run(async () => {
      const t: number[] = [];
      for (let i = 0; i < 22; i++) {
        await budget.acquire();
        t.push(clock.now());
      }
      return t;
    });
    expect(times.slice(0, 20).every((t) => t === 0)).toBe(true);
    expect(times[20]).toBe(5000); // 1 token at 0.2/s
    expect(times[21]).toBe(10_000);
    const next = budget.acquire();
    budget.succeeded();
    budget.succeeded();
    await next;
    expect(clock.now()).toBe(10_000);
  });

  it('reports when retries pass their allowed share of requests (after a minimum of requests)', () => {
    const clock = new SimulatedClock(0);
    const budget = new RetryBudget(clock, { maxRetryShare: 0.5, minRequests: 10 });
    for (let i = 0; i < 6; i++) {
      budget.requested();
      void budget.acquire();
    }
    expect(budget.shareExceeded).toBe(false); // 6 requests: too few to judge
    for (let i = 0; i < 4; i++) budget.requested();
    expect(budget.shareExceeded).toBe(true); // 6 retries of 10 requests
    for (let i = 0; i < 4; i++) budget.requested();
    expect(budget.shareExceeded).toBe(false); // 6 of 14
  });
});
