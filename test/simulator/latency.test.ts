import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/runtime/random.js';
import { createSimulatorCore } from '../../src/simulator/index.js';
import { drawLatency } from '../../src/simulator/drawLatency.js';

describe('latency', () => {
  it('draws uniform delays within [min, max] and fixed delays exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer(), (a, b, seed) => {
        const [minMs, maxMs] = a <= b ? [a, b] : [b, a];
        const r = seededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const ms = drawLatency({ kind: 'uniform', minMs, maxMs }, r);
          expect(Number.isInteger(ms) && ms >= minMs && ms <= maxMs).toBe(true);
        }
        expect(drawLatency({ kind: 'fixed', ms: a }, r)).toBe(a);
      }),
    );
  });

  it('draws lognormal delays around the median with a long right tail', () => {
    const r = seededRandom(7);
    const xs = Array.from({ length: 4000 }, () => drawLatency({ kind: 'lognormal', medianMs: 80, sigma: 0.8 }, r)).sort((a, b) => a - b);
    expect(xs[2000]).toBeGreaterThan(70);
    expect(xs[2000]).toBeLessThan(90);
    expect(xs[3960]! / xs[2000]!).toBeGreaterThan(4); // p99 far above the median
    expect(xs[0]).toBeGreaterThanOrEqual(0);
  });

  it('adds the slow tail to about slowRate of the requests, and counts it', () => {
    const core = createSimulatorCore({ profile: 'calm', latency: { kind: 'fixed', ms: 10 }, slowRate: 0.1, slowMs: 120_000 }, 0);
    const delays = Array.from(
      { length: 1000 },
      () => core.handle({ method: 'GET', path: '/customers', query: {}, headers: {}, body: '' }, 0).delayMs,
    );
    const slow = delays.filter((d) => d === 120_010).length;
    expect(delays.every((d) => d === 10 || d === 120_010)).toBe(true);
    expect(slow).toBeGreaterThan(60);
    expect(slow).toBeLessThan(140);
    expect(core.stats().faults.slow).toBe(slow);
  });

  it('slows logins only when faults hit logins (faultsOnLogin)', () => {
    const login = {
      method: 'POST',
      path: '/login',
      query: {},
      headers: {},
      body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
    };
    for (const faultsOnLogin of [true, false]) {
      const core = createSimulatorCore(
        { profile: 'calm', latency: { kind: 'fixed', ms: 10 }, slowRate: 1, slowMs: 30_000, faultsOnLogin },
        0,
      );
      const answer = core.handle(login, 0);
      expect(answer.status).toBe(200);
      expect(answer.delayMs).toBe(faultsOnLogin ? 30_010 : 10);
      expect(core.stats().faults.slow).toBe(faultsOnLogin ? 1 : 0);
    }
  });
});
