import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createSimulatorState, handleRequest, resolveSimulatorOptions, type SimRequest } from '../../src/simulator/index.js';

// Exposes gc() without restarting node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap growth while serving `pages` pages of 1000 ending at the data set's last page. */
function growthServing(records: number, pages: number): { growth: number; served: number; stateKeys: string[]; buckets: number } {
  const options = resolveSimulatorOptions({
    profile: 'hostile',
    records,
    outages: [],
    rateLimit: 10_000,
    rateLimitBurst: 10_000,
    duplicateRate: 0.05,
  });
  const state = createSimulatorState(0);
  const login = handleRequest(
    options,
    state,
    { method: 'POST', path: '/login', query: {}, headers: {}, body: JSON.stringify({ username: 'demo', password: 'demo-password' }) },
    0,
  );
  const token = login.status === 200 && login.body.startsWith('{') ? (JSON.parse(login.body) as { access_token: string }).access_token : '';
  const lastPage = Math.ceil(records / 1000);
  const before = heapAfterGc();
  let served = 0;
  for (let i = 0; i < pages; i++) {
    const req: SimRequest = {
      method: 'GET',
      path: '/customers',
      query: { page: String(Math.max(1, lastPage - (i % lastPage))), limit: '1000' },
      headers: { authorization: `Bearer ${token}` },
      body: '',
    };
    served += handleRequest(options, state, req, 1000).body.length;
  }
  const growth = heapAfterGc() - before;
  return { growth, served, stateKeys: Object.keys(state), buckets: state.buckets.size };
}

describe('memory', () => {
  it('serves pages at the end of 10,000,000 records in the same memory as 1,000', () => {
    const small = growthServing(1_000, 30);
    const large = growthServing(10_000_000, 30);
    expect(large.served).toBeGreaterThan(1_000_000); // real pages were built and thrown away
    // Nothing per record is retained: growth stays under 1 MB and is no larger than for 1,000.
    expect(large.growth).toBeLessThan(1 << 20);
    expect(large.growth - small.growth).toBeLessThan(512 * 1024);
    expect(large.stateKeys).toEqual(['startedAt', 'requestIndex', 'buckets', 'stats']);
    expect(large.buckets).toBeLessThanOrEqual(2);
  });
});
