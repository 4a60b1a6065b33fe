import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, defaultBackoffPolicy, fullJitterBackoff } from '../../src/http/backoff.js';
import { seededRandom } from '../../src/runtime/random.js';

const sequence = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('fullJitterBackoff', () => {
  it.each([
    [1, 0.5, 125],
    [2, 0.5, 250],
    [3, 0.25, 250],
    [4, 1 - 2 ** -20, 2000 * (1 - 2 ** -20)],
    [5, 0.5, 2000],
    [7, 0.5, 8000],
    [8, 0.5, 10_000], // 0.25 × 2^7 = 32 s is capped at 20 s
    [60, 0.5, 10_000],
  ])('attempt %i with random %d waits %d ms (U(0, min(20 s, 0.25 s × 2^(n−1))))', (attempt, r, expected) => {
    expect(fullJitterBackoff(attempt, defaultBackoffPolicy, () => r)).toBeCloseTo(expected, 6);
  });

  it('gives the same exact sequence for the same seed, and another for another seed', () => {
    const waits = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 8 }, (_, i) => fullJitterBackoff(i + 1, defaultBackoffPolicy, random));
    };
    const reference = seededRandom(42);
    const expected = [250, 500, 1000, 2000, 4000, 8000, 16000, 20000].map((ceiling) => reference() * ceiling);
    expect(waits(42)).toEqual(expected);
    expect(waits(43)).not.toEqual(expected);
  });

  it('is a pure function: it reads nothing but its random source', () => {
    const random = sequence([0.1, 0.9]);
    expect([1, 1, 3, 3].map((n) => fullJitterBackoff(n, defaultBackoffPolicy, random))).toEqual([25, 225, 100, 900]);
  });

  it('stays within [0, min(cap, base × factor^(n−1))] for any attempt, policy and random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 1, max: 10_000, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, factor, r) => {
          const policy = { baseMs, factor, capMs: baseMs * 100 };
          const wait = fullJitterBackoff(attempt, policy, () => r);
          const ceiling = Math.min(policy.capMs, baseMs * factor ** (attempt - 1));
          expect(Number.isFinite(wait)).toBe(true);
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(ceiling * (1 + 1e-9));
          expect(backoffCeiling(attempt, policy)).toBeCloseTo(ceiling, 3);
        },
      ),
    );
  });

  it('has a ceiling that never decreases with the attempt number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (n) => {
        expect(backoffCeiling(n + 1, defaultBackoffPolicy)).toBeGreaterThanOrEqual(backoffCeiling(n, defaultBackoffPolicy));
      }),
    );
  });
});
