import { describe, expect, it } from 'vitest';
import { createStats } from '../../src/simulator/simulatorStats.js';
import { pageAttempts } from './pageAttempts.js';

describe('pageAttempts', () => {
  it('f is the share of quota-spending page attempts the server failed on purpose; 429s and outages spend none', () => {
    const stats = createStats();
    stats.byEndpoint.customers = { '200': 90, '500': 4, '503': 6, '429': 5, reset: 2 };
    stats.byEndpoint.login = { '200': 3 };
    Object.assign(stats.faults, {
      internal_error: 4,
      unavailable: 4,
      outage: 2,
      reset: 2,
      truncated: 3,
      rate_limited: 5,
      token_expired: 1,
    });
    // 107 attempts: 5 answered 429, 2 in the outage; of the other 100, 4 + 4 + 2 + 3 were injected faults.
    expect(pageAttempts(stats)).toEqual({ total: 107, rateLimited: 5, accepted: 100, faulted: 13, f: 0.13 });
  });

  it('no attempts: f is 0, not NaN', () => {
    expect(pageAttempts(createStats()).f).toBe(0);
  });
});
