import { describe, expect, it } from 'vitest';
import { PipeLimit } from '../../src/pacing/pipeLimit.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

/**
 * Drives a PipeLimit for `seconds` against an API model: with `n` requests out at `ms` it
 * answers `perSecond(n, ms)` a second, the fastest in `fastestMs`. The run wants `demand` requests out (the
 * cap allowing); the pacer allows `pacerRate`. Returns the cap and the responses a second,
 * second by second.
 */
async function drive(
  perSecond: (n: number, ms: number) => number,
  seconds: number,
  { demand = 16, pacerRate = 1000, fastestMs = 25 }: { demand?: number; pacerRate?: number; fastestMs?: number } = {},
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
    owed += perSecond(n, ms) / 100;
    for (; owed >= 1; owed--, thisSecond++) limit.responded(n, pacerRate, fastestMs);
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
    // Down a quarter a second (a try is two rounds of 500 ms): 12, 9, 7, 6, 5, 4, 3.
    const { caps, rates } = await drive(busy(80, 25), 50);
    expect(caps[0]).toBe(Infinity);
    expect(caps.slice(1, 7)).toEqual([12, 9, 7, 6, 5, 4]);
    expect(caps.slice(7, 36)).toEqual(Array(29).fill(3));
    // As many answers as with 16 out.
    expect(Math.min(...rates)).toBeGreaterThanOrEqual(0.97 * 80);
    // After 30 s it measures again without a cap, and comes back to the same.
    expect(caps.slice(36)).toContain(Infinity);
    expect(caps.at(-1)).toBe(3);
  });

  it('leaves the cap open where answers follow the requests in flight, trying again less and less often', async () => {
    // 100 ms each, never busy: a quarter fewer out is a quarter fewer answers. Where requests do
    // not wait (no more out than 4 × answers a second × the fastest answer), nothing is tried.
    const open = await drive(busy(Infinity, 100), 120, { fastestMs: 100 });
    expect(open.caps.every((c) => c === Infinity)).toBe(true);
    // The fastest in 10 ms, so that they look as if they waited: tried after 3, 6, 12, 24 and 30 s.
    const { caps, rates } = await drive(busy(Infinity, 100), 120, { fastestMs: 10 });
    const capped = caps.filter((c) => c !== Infinity).length;
    expect(capped).toBeGreaterThan(0);
    expect(capped).toBeLessThanOrEqual(12);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    expect(mean).toBeGreaterThan(0.97 * 160);
  });

  it('says nothing while the pacer is what holds requests back', async () => {
    // Answers at the pacer's 20 a second whatever the requests out: the API is not measured.
    const { caps } = await drive(() => 20, 30, { pacerRate: 20 });
    expect(caps.every((c) => c === Infinity)).toBe(true);
  });

  it('gives more back when the API can take more again', async () => {
    // Busy for the first 30 s, then four times as fast: once the cap found before stops holding, it follows.
    const { caps } = await drive((n, ms) => busy(ms < 30_000 ? 80 : 320, 25)(n), 80, { demand: 32 });
    expect(caps[28]).toBeLessThanOrEqual(3);
    expect(caps.at(-1)).toBeGreaterThanOrEqual(8);
  });
});
