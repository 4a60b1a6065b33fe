import { describe, expect, it } from 'vitest';
import { LatencyTracker } from '../../src/pacing/latencyTracker.js';
import { RateLimiter, type RateLimiterOptions } from '../../src/pacing/rateLimiter.js';
import { parseRateLimitPolicy } from '../../src/pacing/rateLimitPolicy.js';
import type { Clock } from '../../src/runtime/clock.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

function limiter(options: RateLimiterOptions = {}) {
  const clock = new SimulatedClock(0);
  const latency = new LatencyTracker();
  return { clock, latency, limiter: new RateLimiter(clock, latency, options) };
}

/** Acquires `n` tokens back to back and returns the clock time each was granted. */
async function grants(clock: SimulatedClock, l: RateLimiter, n: number): Promise<number[]> {
  return clock.run(async () => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      await l.acquire();
      times.push(clock.now());
    }
    return times;
  });
}

/** Answers at the limiter's pace: every `stepMs`, one token taken and one success recorded. */
async function serve(clock: SimulatedClock, l: RateLimiter, stepMs: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await clock.advance(stepMs);
    await l.acquire();
    l.record('success');
  }
}

/** Sends at whatever rate the limiter allows for `ms`, every answer a success. */
async function sendFor(clock: SimulatedClock, l: RateLimiter, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await clock.run(async () => {
    while (clock.now() < end) {
      await l.acquire();
      l.record('success');
    }
  });
}

/**
 * The ceiling slow start's first 429 leaves, from a server allowing `rate` req/s with a burst of
 * one second's worth and answering in 80 ms, under unlimited demand.
 */
async function firstCeiling(rate: number): Promise<number | undefined> {
  const { clock, latency, limiter: l } = limiter();
  for (let i = 0; i < 20; i++) latency.record(80);
  let tokens = rate;
  let at = 0;
  await clock.run(async () => {
    for (;;) {
      await l.acquire();
      tokens = Math.min(rate, tokens + ((clock.now() - at) * rate) / 1000);
      at = clock.now();
      if (tokens < 1) return l.rateLimited(1000);
      tokens -= 1;
      clock.setTimeout(() => l.record('success'), 80);
    }
  });
  return l.ceiling;
}

describe('RateLimiter start rate', () => {
  it('starts at 0.95 × a configured limit and never exceeds it', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 10 });
    expect(l.rate).toBeCloseTo(9.5);
    const t = await grants(clock, l, 20);
    // Capacity 1: the first token is there at once, then one every 1/9.5 s.
    expect(t[0]).toBe(0);
    expect(t[19]! - t[1]!).toBeGreaterThanOrEqual(Math.floor((18 * 1000) / 9.5));
    for (let i = 0; i < 100; i++) {
      clock.setTimeout(() => undefined, 0);
      await clock.advance(300);
      l.record('success');
    }
    expect(l.rate).toBeLessThanOrEqual(10);
  });

  it('starts at 0.98 × q/w from RateLimit-Policy', () => {
    const { limiter: l } = limiter();
    l.observeHeaders(new Headers({ 'ratelimit-policy': '"default";q=20;w=2' }));
    expect(l.rate).toBeCloseTo(9.8);
    expect(l.source).toBe('policy');
    expect(l.ceiling).toBe(10);
  });

  it('starts from RateLimit-Limit per second, or paces by Remaining/Reset when only those come', () => {
    const a = limiter().limiter;
    a.observeHeaders(new Headers({ 'ratelimit-limit': '4', 'ratelimit-remaining': '3', 'ratelimit-reset': '1' }));
    expect(a.rate).toBeCloseTo(3.92);
    const b = limiter().limiter;
    b.observeHeaders(new Headers({ 'ratelimit-remaining': '12', 'ratelimit-reset': '4' }));
    expect(b.rate).toBeCloseTo(3);
  });

  it('spends at once the quota RateLimit-Remaining says is left, less what is in flight, once, on top of the rate', async () => {
    const { clock, limiter: l } = limiter();
    await grants(clock, l, 1);
    // The first answer (still in flight for the limiter: not yet recorded) leaves 9 of 10.
    l.observeHeaders(new Headers({ 'ratelimit-limit': '10', 'ratelimit-remaining': '9', 'ratelimit-reset': '1' }));
    l.record('success');
    const t = await grants(clock, l, 10);
    expect(t.slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // Then the rate, 0.98 × 10: the next token ~102 ms later.
    expect(t[8]).toBeGreaterThanOrEqual(100);
    expect(t[9]! - t[8]!).toBeGreaterThanOrEqual(100);
    // A later answer does not grant it again.
    l.observeHeaders(new Headers({ 'ratelimit-policy': '"default";q=10;w=1', 'ratelimit-remaining': '9' }));
    const later = await grants(clock, l, 2);
    expect(later[1]! - later[0]!).toBeGreaterThanOrEqual(100);
  });

  it('spends no advertised quota beyond one second of the limit, under a maxRate, or after a 429', async () => {
    const hourly = limiter();
    hourly.limiter.observeHeaders(new Headers({ 'ratelimit-policy': '5000;w=3600', 'ratelimit-remaining': '4999' }));
    const h = await grants(hourly.clock, hourly.limiter, 3);
    // 1.39 req/s: one token of credit, on top of the bucket's one.
    expect(h.slice(0, 2)).toEqual([0, 0]);
    expect(h[2]).toBeGreaterThanOrEqual(700);

    const capped = limiter({ maxRate: 20 });
    capped.limiter.observeHeaders(new Headers({ 'ratelimit-limit': '10', 'ratelimit-remaining': '9' }));
    const c = await grants(capped.clock, capped.limiter, 3);
    expect(c[1]! - c[0]!).toBeGreaterThanOrEqual(100);

    const refused = limiter();
    refused.limiter.observeHeaders(new Headers({ 'ratelimit-limit': '10', 'ratelimit-remaining': '9' }));
    refused.limiter.rateLimited(0);
    const r = await grants(refused.clock, refused.limiter, 3);
    expect(r[2]! - r[1]!).toBeGreaterThanOrEqual(100);
  });

  it('starts at 2 req/s and doubles every 500 ms while the demand uses it, until the first 429', async () => {
    const { clock, limiter: l } = limiter();
    expect(l.rate).toBe(2);
    const t = await grants(clock, l, 40);
    // 2/s, then 4/s, 8/s, 16/s, 32/s every 500 ms: 40 tokens in under 3 s; a fixed 2/s would need 19.5 s.
    expect(t[39]!).toBeLessThan(3000);
    expect(l.rate).toBeGreaterThanOrEqual(16);
    l.rateLimited(1000);
    const after = l.rate;
    await clock.advance(5000);
    await grants(clock, l, 5);
    expect(l.rate).toBe(after); // no more doubling after a 429
  });

  it('earns the time before a doubling at the old rate: the queue never gets two tokens at once', async () => {
    const { clock, limiter: l } = limiter();
    const t = await grants(clock, l, 16);
    expect(l.rate).toBeGreaterThanOrEqual(16);
    // Earned at the new rate, each doubling's first grant came with a second: two requests
    // together, which an API allowing no burst refuses.
    for (let i = 1; i < t.length; i++) expect(t[i]! - t[i - 1]!).toBeGreaterThanOrEqual(1000 / 32);
  });

  it('doubles every 8 median round trips (at least 100 ms) when answers come fast', async () => {
    const ramp = async (answerMs: number): Promise<number> => {
      const { clock, latency, limiter: l } = limiter();
      for (let i = 0; i < 20; i++) latency.record(answerMs);
      await clock.run(async () => {
        while (clock.now() < 1500) await l.acquire();
      });
      return l.rate;
    };
    // 5 ms answers: a doubling every 100 ms once the first token (at 2 req/s) has come; 80 ms answers: every 500 ms as before.
    expect(await ramp(5)).toBeGreaterThanOrEqual(512);
    expect(await ramp(80)).toBe(16);
  });

  it('above 32 req/s doubles once 16 tokens worth of time has passed at the rate', async () => {
    const { clock, latency, limiter: l } = limiter();
    for (let i = 0; i < 20; i++) latency.record(80);
    const rates: [number, number][] = [];
    await clock.run(async () => {
      while (clock.now() < 3000) {
        await l.acquire();
        if (rates.at(-1)?.[1] !== l.rate) rates.push([clock.now(), l.rate]);
      }
    });
    const at = (rate: number): number => rates.find(([, r]) => r === rate)![0];
    // Every 500 ms up to 32 req/s; then 64 after 500 ms (16 tokens at 32), 128 after 250 ms, 256 after 125 ms.
    expect(at(64) - at(32)).toBeGreaterThanOrEqual(500);
    expect(at(128) - at(64)).toBeGreaterThanOrEqual(250);
    expect(at(128) - at(64)).toBeLessThan(300);
    expect(at(256) - at(128)).toBeLessThan(150);
    expect(l.rate).toBeGreaterThanOrEqual(512);
  });

  it('owes a queue its tokens in full when timers fire late (a busy event loop), without a burst for an idle spell', async () => {
    const clock = new SimulatedClock(0);
    const late: Clock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms + 20),
      clearTimeout: (h) => clock.clearTimeout(h),
      sleep: (ms, signal) => clock.sleep(ms, signal),
      track: (w) => clock.track(w),
    };
    const l = new RateLimiter(late, new LatencyTracker(), { rateLimit: 1000 });
    const granted = await clock.run(async () => {
      let n = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (clock.now() < 1000) {
            await l.acquire();
            n++;
          }
        }),
      );
      return n;
    });
    // 950 req/s with every timer 20 ms late: capped at the 10 ms bucket per wake-up it would be ~450.
    expect(granted).toBeGreaterThanOrEqual(900);
    expect(granted).toBeLessThanOrEqual(1000);
    // Idle for a second, nobody waiting: the bucket holds its 10 ms worth, no more.
    await clock.advance(1000);
    const burst = await clock.run(async () => {
      const at = clock.now();
      let n = 0;
      while (clock.now() === at) {
        await l.acquire();
        if (clock.now() === at) n++;
      }
      return n;
    });
    expect(burst).toBeLessThanOrEqual(10);
  });

  it('does not double when the demand is far below the rate', async () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 5; i++) {
      await clock.advance(2000);
      await grants(clock, l, 1);
    }
    expect(l.rate).toBe(2);
  });

  it('respects the hard cap', () => {
    const { limiter: l } = limiter({ maxRate: 3 });
    l.observeHeaders(new Headers({ 'ratelimit-policy': '100;w=1' }));
    expect(l.rate).toBe(3);
  });
});

describe('RateLimiter on 429', () => {
  it('cuts to 0.9 × the accepted rate of the last 10 s, at most once per epoch, and pauses everyone', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    // 50 accepted requests over 10 s: w = 5 req/s.
    for (let i = 0; i < 50; i++) {
      await clock.advance(200);
      l.record('success');
    }
    expect(l.rateLimited(2000)).toBe(true);
    expect(l.rate).toBeCloseTo(4.5);
    expect(l.ceiling).toBeCloseTo(5);
    expect(l.paused).toBe(true);
    // A second 429 within the epoch (1 s) does not cut again.
    await clock.advance(500);
    expect(l.rateLimited(2000)).toBe(false);
    expect(l.rate).toBeCloseTo(4.5);
    // Nothing is granted before the pause ends (500 ms + 2000 ms after the first).
    const t = await grants(clock, l, 1);
    expect(t[0]).toBe(10_000 + 2500);
    // After the epoch, a new 429 may cut again.
    expect(l.rateLimited(100)).toBe(true);
  });

  it('keeps its estimate when too few answers measure the ceiling', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 30; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(0);
    await clock.advance(20_000);
    l.record('success');
    l.rateLimited(0); // one answer in 10 s: the ceiling stays ≈ 10, r = 0.9 × min(r, 10)
    expect(l.rate).toBeGreaterThan(7.5);
    expect(l.ceiling).toBeCloseTo(l.rate / 0.9);
  });

  it('counts the requests still unanswered as accepted: the server took them, a refusal comes back fast', async () => {
    const cut = async (unanswered: number): Promise<{ ceiling: number | undefined; asked: number[] }> => {
      const { clock, limiter: l } = limiter({ rateLimit: 100 });
      await clock.advance(60_000);
      for (let i = 0; i < 20; i++) {
        await clock.advance(100);
        l.record('success');
      }
      const asked: number[] = [];
      l.rateLimited(0, (since) => {
        asked.push(since);
        return unanswered;
      });
      return { ceiling: l.ceiling, asked };
    };
    // 20 answers in the window (2.9 s: the quiet stretch before them counts for 1 s); 10 more out: half as many again.
    const answered = await cut(0);
    expect(answered.ceiling).toBeCloseTo(20 / 2.9, 5);
    const hanging = await cut(10);
    expect(hanging.ceiling).toBeCloseTo(30 / 2.9, 5);
    // Asked for those sent within the window the rate is measured over (the last 10 s).
    expect(hanging.asked).toEqual([62_000 - 10_000]);
  });

  it('does not mistake a stretch where we sent nothing (a token refresh) for a low server ceiling', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 30; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(0); // ceiling ≈ 10 req/s from 30 answers in 3 s
    expect(l.rate).toBeCloseTo(9, 0);
    await clock.advance(8000); // nothing sent for 8 s
    for (let i = 0; i < 3; i++) {
      await clock.advance(100);
      l.record('success');
    }
    // The 8 s gap counts as 1 s: w ≈ 20 answers / 2.9 s, not 20 / 10 s (which would cut r to 1.8).
    l.rateLimited(0);
    expect(l.rate).toBeGreaterThan(5);
  });

  it('signals the end of a pause once, with its length', async () => {
    const { clock, limiter: l } = limiter();
    const resumed: number[] = [];
    l.onResume((ms) => resumed.push(ms));
    l.rateLimited(3000);
    await clock.advance(1000);
    l.pause(1000); // shorter than the running pause: kept
    await clock.advance(5000);
    expect(resumed).toEqual([3000]);
    expect(l.totalPauseMs).toBe(3000);
  });

  it('resumes even when timers fire a little before the clock reads their due time (as real timers do)', async () => {
    const clock = new SimulatedClock(0);
    const early: Clock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms > 1 ? ms - 1 : ms),
      clearTimeout: (h) => clock.clearTimeout(h),
      sleep: (ms, signal) => clock.sleep(ms, signal),
      track: (w) => clock.track(w),
    };
    const l = new RateLimiter(early, new LatencyTracker(), { rateLimit: 10 });
    l.rateLimited(1000);
    const granted = await clock.run(async () => {
      await l.acquire();
      return clock.now();
    });
    expect(granted).toBeGreaterThanOrEqual(1000);
    expect(granted).toBeLessThan(1010);
  });

  it('leaving slow start at a small limit, measures the ceiling over 20 answers back to the first token', async () => {
    const ceiling = await firstCeiling(4);
    // The last two rate levels (4 and 8 req/s) hold a handful of answers: as they fall, they read
    // 2 to 7 req/s (here 7; 2-3 in bad hostile bench seeds, then minutes of probing below the real 4).
    // Twenty answers back to the first token read 4 plus a share of the server's burst.
    expect(ceiling).toBeGreaterThanOrEqual(4);
    expect(ceiling).toBeLessThan(6);
  });

  it('leaving slow start at a large limit, measures the ceiling over the last second at least', async () => {
    const ceiling = await firstCeiling(30);
    // Slow start was past 100 req/s: its last 20 answers came within a fraction of a second,
    // which, counted as a second, read the limit at 20 and left the probe minutes below it.
    expect(ceiling).toBeGreaterThanOrEqual(30);
    expect(ceiling).toBeLessThan(75);
  });

  it('never goes below the 0.5 req/s probe', () => {
    const { limiter: l } = limiter();
    l.rateLimited(10);
    expect(l.rate).toBeGreaterThanOrEqual(0.5);
  });
});

describe('RateLimiter recovery and outages', () => {
  it('grows fast (+10% of w per second) up to 0.95 w, then probes slowly (0.2% of w per second, speeding up to 0.5%)', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(0); // w = 10 req/s, r = 0.9 × min(95, 10) = 9 → fast growth to 9.5 then slow
    expect(l.rate).toBeCloseTo(9);
    await serve(clock, l, 125, 2);
    expect(l.rate).toBeCloseTo(9.25); // +1/s for 0.25 s
    await serve(clock, l, 125, 4);
    expect(l.rate).toBeCloseTo(9.5, 1); // fast growth stops at 0.95 w (then a first probe step)
    await serve(clock, l, 125, 80);
    // 10 s of probing from 0.2% to 0.4% of w per second: about +0.03 w, far below the old +1%/s (+0.1 w).
    expect(l.rate).toBeGreaterThan(9.75);
    expect(l.rate).toBeLessThan(9.9);
    // Long after the last cut the probe holds at 0.5% of w per second (up to 1.1 w, below).
    await serve(clock, l, 125, 160);
    const before = l.rate;
    await serve(clock, l, 125, 8);
    expect(l.rate - before).toBeCloseTo(0.05);
  });

  it('past 1.1 w without a 429, takes the ceiling for one read low: grows by 2% of the rate a second', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(0); // w = 10 req/s
    let seconds = 0;
    while (l.rate <= 11 && seconds < 120) {
      await serve(clock, l, 125, 8);
      seconds++;
    }
    // The probe took its time up to 1.1 w (at most 0.5% of w a second, after fast growth to 0.95 w)...
    expect(seconds).toBeGreaterThan(20);
    // ...and from there the rate grows by 2% of itself a second.
    const before = l.rate;
    await serve(clock, l, 125, 8);
    expect(l.rate / before).toBeCloseTo(1.02, 3);
    expect(l.ceiling).toBe(10);
  });

  it('does not grow a rate the demand leaves unused (a page holding the window)', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(0); // w = 10, r = 9
    // Answers keep coming, but no token is taken: 10 s at a rate nobody sends at proves nothing.
    for (let i = 0; i < 40; i++) {
      await clock.advance(250);
      l.record('success');
    }
    expect(l.rate).toBeCloseTo(9);
    await serve(clock, l, 125, 2);
    expect(l.rate).toBeCloseTo(9.25);
  });

  it('does not count a pause as growth time: the first answer after a 429 pause does not jump the rate', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 100 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      l.record('success');
    }
    l.rateLimited(2000); // w = 10, r = 9, paused 2 s
    await clock.advance(2000);
    await serve(clock, l, 112, 3);
    // Only the 0.336 s since the pause ended count: 9 + 0.336, not 9 + 2.336 (which would pass 0.95 w).
    expect(l.rate).toBeCloseTo(9.336);
  });

  it('does not cut the rate for random failures', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 10 });
    for (let i = 0; i < 100; i++) {
      await clock.advance(100);
      l.record(i % 5 === 0 ? 'failure' : 'success');
    }
    expect(l.rate).toBeGreaterThanOrEqual(9.5);
  });

  it('halves the rate at most every 2 s when most of ≥10 recent attempts failed, down to 0.5 req/s', async () => {
    const { clock, limiter: l } = limiter({ rateLimit: 16 });
    const rates: number[] = [];
    for (let i = 0; i < 9; i++) {
      await clock.advance(100);
      l.record('failure');
    }
    expect(l.rate).toBeCloseTo(15.2); // 9 attempts: not enough evidence yet
    for (let i = 0; i < 200; i++) {
      await clock.advance(100);
      l.record('failure');
      if (i % 20 === 0) rates.push(l.rate);
    }
    expect(rates[0]).toBeCloseTo(7.6);
    expect(rates[1]).toBeCloseTo(3.8); // 2 s later: halved once more, not 20 times
    expect(l.rate).toBe(0.5);
  });
});

describe('RateLimiter remembered pace', () => {
  it('learns nothing where it probed nothing: a configured or advertised limit, or no request', () => {
    expect(limiter({ rateLimit: 10 }).limiter.learned).toBeUndefined();
    const advertised = limiter().limiter;
    advertised.observeHeaders(new Headers({ 'ratelimit-limit': '10' }));
    expect(advertised.learned).toBeUndefined();
    expect(limiter().limiter.learned).toBeUndefined();
  });

  it('without a 429, learns the fastest rate slow start sent at; a later run starts slow start at half of it', async () => {
    const { clock, limiter: l } = limiter();
    await grants(clock, l, 40);
    const learned = l.learned as { accepted: number };
    // A doubling needs half the rate used: what was sent is at least a quarter of the rate doubled since.
    expect(learned.accepted).toBeGreaterThanOrEqual(l.rate / 4);
    expect(learned.accepted).toBeLessThanOrEqual(l.rate);
    const next = limiter({ remembered: learned }).limiter;
    expect(next.source).toBe('slowStart');
    expect(next.rate).toBeCloseTo(learned.accepted / 2);
    // Never below the usual start.
    expect(limiter({ remembered: { accepted: 1 } }).limiter.rate).toBe(2);
  });

  it('after a 429, learns its ceiling; a later run starts at 0.95 of it and probes as after a 429', async () => {
    const { clock, limiter: l } = limiter();
    await grants(clock, l, 30);
    for (let i = 0; i < 10; i++) l.record('success');
    l.rateLimited(1000);
    const ceiling = l.ceiling!;
    expect(l.learned).toEqual({ ceiling });
    const next = limiter({ remembered: { ceiling: 10 } });
    expect(next.limiter.source).toBe('remembered');
    expect(next.limiter.rate).toBeCloseTo(9.5);
    expect(next.limiter.ceiling).toBe(10);
    // It probes above 0.95 w as after a cut, and a 429 cuts it as any estimate.
    await serve(next.clock, next.limiter, 110, 200);
    expect(next.limiter.rate).toBeGreaterThan(9.5);
    expect(next.limiter.rateLimited(1000)).toBe(true);
    expect(next.limiter.source).toBe('adaptive');
    expect(next.limiter.rate).toBeLessThan(9.5);
  });

  it('after a 429, learns a rate held 10 s since above the ceiling, not one just probed', async () => {
    const { clock, limiter: l } = limiter();
    await sendFor(clock, l, 3000);
    l.rateLimited(0);
    const ceiling = l.ceiling!;
    await sendFor(clock, l, 4000); // growing back, then probing
    expect(l.learned).toEqual({ ceiling });
    await sendFor(clock, l, 80_000); // the probe passed w
    expect(l.rate).toBeGreaterThan(ceiling);
    expect(l.learned).toEqual({ ceiling: l.rate });
    l.rateLimited(0);
    expect(l.learned).toEqual({ ceiling: l.ceiling });
  });

  it('a remembered ceiling used 30 s without a 429 may be old and low: slow start resumes from the rate', async () => {
    const { clock, limiter: l } = limiter({ remembered: { ceiling: 10 } });
    await sendFor(clock, l, 29_000);
    // Probing above 0.95 w as after a cut: still about w.
    expect(l.source).toBe('remembered');
    expect(l.rate).toBeLessThan(11);
    await sendFor(clock, l, 4_000);
    expect(l.source).toBe('slowStart');
    expect(l.rate).toBeGreaterThan(40);
    // A 429 then ends slow start as in a first run.
    l.rateLimited(1000);
    expect(l.source).toBe('adaptive');
  });

  it('does not resume slow start from a remembered ceiling while most attempts fail (an outage)', async () => {
    const { clock, limiter: l } = limiter({ remembered: { ceiling: 10 } });
    await sendFor(clock, l, 29_500);
    await clock.run(async () => {
      for (let i = 0; i < 15; i++) {
        await l.acquire();
        l.record('failure');
      }
      await l.acquire();
      l.record('success');
    });
    expect(clock.now()).toBeGreaterThan(30_000);
    expect(l.source).not.toBe('slowStart');
    expect(l.rate).toBeLessThan(11);
  });

  it('a remembered ceiling met by a 429 within 30 s is the limit: no slow start after', async () => {
    const { clock, limiter: l } = limiter({ remembered: { ceiling: 10 } });
    await serve(clock, l, 110, 100);
    l.rateLimited(1000);
    await clock.advance(1000);
    await serve(clock, l, 130, 400);
    expect(l.source).toBe('adaptive');
    // Past 1.1 w it grows by 2% a second, not by doubling.
    expect(l.rate).toBeLessThan(15);
  });

  it('a ceiling remembered gives way to the limit the server advertises, and to the cap', () => {
    const advertised = limiter({ remembered: { ceiling: 10 } }).limiter;
    advertised.observeHeaders(new Headers({ 'ratelimit-limit': '50' }));
    expect(advertised.source).toBe('headers');
    expect(advertised.rate).toBeCloseTo(49);
    expect(limiter({ remembered: { ceiling: 10 }, maxRate: 5 }).limiter.rate).toBe(5);
    expect(limiter({ remembered: { ceiling: 10 }, rateLimit: 4 }).limiter.source).toBe('configured');
  });

  it('an outage alone teaches no ceiling: what slow start sent at is kept', async () => {
    const { clock, limiter: l } = limiter();
    await grants(clock, l, 20);
    for (let i = 0; i < 12; i++) {
      await clock.advance(100);
      l.record('failure');
    }
    expect(l.source).toBe('adaptive');
    expect(l.learned).toEqual({ accepted: expect.any(Number) });
  });
});

describe('parseRateLimitPolicy', () => {
  it.each([
    ['"default";q=10;w=1', { quota: 10, windowSeconds: 1 }],
    ['100;w=60', { quota: 100, windowSeconds: 60 }],
    ['q=5', { quota: 5, windowSeconds: 1 }],
    ['"a";q=7;w=2, "b";q=1000;w=3600', { quota: 7, windowSeconds: 2 }],
  ])('reads %s', (value, expected) => {
    expect(parseRateLimitPolicy(value)).toEqual(expected);
  });

  it.each(['', 'nonsense', 'q=0', '10;w=0'])('rejects %j', (value) => {
    expect(parseRateLimitPolicy(value)).toBeUndefined();
  });
});
