import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSimulatorCore, customerAt, toJson, type SimRequest, type SimulatorOptions } from '../../src/simulator/index.js';

type Step =
  | { readonly kind: 'login'; readonly good: boolean }
  | { readonly kind: 'customers'; readonly page: number; readonly limit: number }
  | { readonly kind: 'orders'; readonly limit: number }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('login' as const), good: fc.boolean() }),
  fc.record({ kind: fc.constant('customers' as const), page: fc.integer({ min: 1, max: 12 }), limit: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('orders' as const), limit: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 8000 }) }),
);

/** Runs `steps` against a fresh core and returns every response, serialised to its bytes. */
function transcript(options: SimulatorOptions, steps: readonly Step[]): string[] {
  let now = Date.UTC(2026, 0, 1);
  const core = createSimulatorCore(options, now);
  let auth = '';
  let cursor = '';
  const out: string[] = [];
  const send = (req: Omit<SimRequest, 'headers' | 'body'> & { body?: string }): ReturnType<typeof core.handle> => {
    const res = core.handle({ body: '', ...req, headers: auth ? { authorization: auth } : {} }, now);
    out.push(JSON.stringify(res));
    return res;
  };
  for (const s of steps) {
    if (s.kind === 'wait') now += s.ms;
    else if (s.kind === 'login') {
      const res = send({
        method: 'POST',
        path: '/login',
        query: {},
        body: JSON.stringify({ username: 'demo', password: s.good ? 'demo-password' : 'x' }),
      });
      if (res.status === 200 && res.body.startsWith('{"access'))
        auth = `Bearer ${(JSON.parse(res.body) as { access_token: string }).access_token}`;
    } else if (s.kind === 'customers') send({ method: 'GET', path: '/customers', query: { page: String(s.page), limit: String(s.limit) } });
    else {
      const res = send({ method: 'GET', path: '/orders', query: { limit: String(s.limit), ...(cursor ? { cursor } : {}) } });
      if (res.status === 200 && res.body.startsWith('{"data"') && res.delivery.mode === 'normal') {
        cursor = (JSON.parse(res.body) as { metadata: { next_cursor: string | null } }).metadata.next_cursor ?? '';
      }
    }
  }
  out.push(JSON.stringify(core.stats()));
  return out;
}

const hostile = (seed: number): SimulatorOptions => ({
  profile: 'hostile',
  seed,
  records: 300,
  serverErrorRate: 0.1,
  unavailableRate: 0.1,
});

describe('determinism', () => {
  it('gives byte-identical responses for the same seed, profile and request sequence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.array(step, { minLength: 1, maxLength: 40 }), (seed, steps) => {
        const withLogin: Step[] = [{ kind: 'login', good: true }, ...steps];
        expect(transcript(hostile(seed), withLogin)).toEqual(transcript(hostile(seed), withLogin));
      }),
      { numRuns: 60 },
    );
  });

  it('serves different data and different faults for different seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 1000 }), (seed, delta) => {
        const other = seed + delta;
        const records = (s: number): string[] => Array.from({ length: 10 }, (_, i) => toJson(customerAt(s, i + 1, 0.1)));
        expect(records(seed)).not.toEqual(records(other));
        const steps: Step[] = [
          { kind: 'login', good: true },
          ...Array.from({ length: 60 }, (_, i): Step => ({ kind: 'customers', page: 1 + (i % 3), limit: 5 })),
        ];
        // Faults off at login: a failed login would leave both runs with nothing but 401s.
        const statuses = (s: number): string[] =>
          transcript({ ...hostile(s), rateLimit: 0, faultsOnLogin: false }, steps).map((line) => {
            const res = JSON.parse(line) as { status?: number; delivery?: { mode: string } };
            return `${res.status} ${res.delivery?.mode}`;
          });
        expect(statuses(seed)).not.toEqual(statuses(other));
      }),
      { numRuns: 30 },
    );
  });
});
