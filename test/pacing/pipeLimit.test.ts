import { describe, expect, it } from 'vitest';
import { PipeLimit } from '../../src/pacing/pipeLimit.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

/**
 * Drives a PipeLimit for `seconds` against an API model: with `n` requests out it answers
 * `perSecond(n)` a second. The run wants `demand` requests out (the cap allowing); the pacer
 * allows `pacerRate`. Returns the cap and the responses a second, second by second.
 */
async function drive(
  perSecond: (n: number) => number,
  seconds: number,
  { demand = 16, pacerRate = 1000 }: { demand?: number; pacerRate?: number } = {},
): Promise<{ caps: number[]; rates: number[] }> {
  const clock = new SimulatedClock(0);
  const limit = new PipeLimit(clock);
  const caps: number[] = [];
  const rates: number[] = [];
  let owed = 0;
  let thisSecond = 0;
  for (let ms = 10; ms <= seconds * 1000; ms += 10) {
    await clock.advance(10);
    const n = Math.min(demand, limit.cap);
    owed += perSecond(n) / 100;
    for (; owed >= 1; owed--, thisSecond++) limit.responded(n, pacerRate);
    if (ms % 1000 === 0) {
      caps.push(limit.cap);
      rates.push(thisSecond);
      thisSecond = 0;
    }
  }
  return { caps, rates };
}

/** An API that answers at most `max` a second, `n / latency` below that. */
const busy =
  (max: number, latencyMs: number) =>
  (n: number): number =>
    Math.min(max, (n * 1000) / latencyMs);

describe('PipeLimit', () => {
  it('finds the fewest requests in flight that keep a busy API answering as much, and holds them', async () => {
    // 80 a second at most, 25 ms each: two in flight would do, three keep it busy.
    const { caps, rates } = await drive(busy(80, 25), 40);
    expect(caps[0]).toBe(Infinity);
    expect(caps.slice(4, 30)).toEqual(Array(26).fill(caps[4]));
    expect(caps[4]).toBeGreaterThanOrEqual(2);
    expect(caps[4]).toBeLessThanOrEqual(3);
    // As many answers as with 16 out.
    expect(Math.min(...rates.slice(4, 30))).toBeGreaterThanOrEqual(0.97 * 80);
    // After 30 s it measures again without a cap, and comes back to the same.
    expect(caps.slice(30)).toContain(Infinity);
    expect(caps.at(-1)).toBe(caps[4]);
  });

  it('leaves the cap open where answers follow the requests in flight, trying again less and less often', async () => {
    // 100 ms each, never busy: a quarter fewer out is a quarter fewer answers.
    const { caps, rates } = await drive(busy(Infinity, 100), 120);
    const capped = caps.filter((c) => c !== Infinity).length;
    // Tried after 3, 6, 12, 24 and 30 s: a second in all, give or take.
    expect(capped).toBeLessThanOrEqual(6);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(mean).toBeGreaterThan(0.98 * 160);
  });

  it('says nothing while the pacer is what holds requests back', async () => {
    // Answers at the pacer's 20 a second whatever the requests out: the API is not measured.
    const { caps } = await drive(() => 20, 30, { pacerRate: 20 });
    expect(caps.every((c) => c === Infinity)).toBe(true);
  });

  it('gives more back when the API can take more again', async () => {
    // Busy for the first 30 s, then four times as fast: once the cap found before stops holding, it follows.
    let fast = false;
    const api = (n: number) => (fast ? busy(320, 25)(n) : busy(80, 25)(n));
    const clock = new SimulatedClock(0);
    const limit = new PipeLimit(clock);
    let owed = 0;
    let capBefore = Infinity;
    for (let ms = 10; ms <= 80_000; ms += 10) {
      await clock.advance(10);
      if (ms === 30_000) [fast, capBefore] = [true, limit.cap];
      const n = Math.min(32, limit.cap);
      owed += api(n) / 100;
      for (; owed >= 1; owed--) limit.responded(n, 1000);
    }
    expect(capBefore).toBeLessThanOrEqual(3);
    expect(limit.cap).toBeGreaterThanOrEqual(8);
  });
});
