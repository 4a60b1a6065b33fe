import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch, expectedCustomers, toJson, type SimulatorOptions } from '../../src/simulator/index.js';
import { credentials, recordTexts } from './helpers.js';

/**
 * A deliberately simple client (retry everything, honour Retry-After, re-login on 401, 10 s
 * deadline per attempt) pages through a hostile simulator in virtual time. What it keeps,
 * deduplicated by id, must equal the oracle byte for byte: the faults never corrupt data
 * that is served whole, and the data set is reachable despite every fault.
 */
describe('a whole run against the hostile profile', () => {
  it('can be completed, and the unique records served equal the oracle', async () => {
    const options: SimulatorOptions = {
      profile: 'hostile',
      seed: 2024,
      records: 3000,
      rateLimit: 2,
      rateLimitBurst: 2,
      outages: [{ startMs: 5_000, endMs: 15_000 }],
    };
    const clock = new SimulatedClock(0);
    const sim = createSimulatorFetch(options, clock);
    const kept = new Map<number, string>();
    let attempts = 0;

    await clock.run(async () => {
      let auth = '';
      const attempt = async (
        path: string,
        init: RequestInit = {},
      ): Promise<{ status: number; text: string; retryAfter: string | null } | undefined> => {
        attempts++;
        const controller = new AbortController();
        const deadline = clock.setTimeout(() => controller.abort(new Error('deadline')), 10_000);
        try {
          const res = await sim.fetch(`${sim.url}${path}`, { ...init, signal: controller.signal });
          return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
        } catch {
          return undefined; // reset or deadline
        } finally {
          clock.clearTimeout(deadline);
        }
      };
      const wait = async (retryAfter: string | null | undefined): Promise<void> => {
        const seconds = Number(retryAfter);
        const ms = retryAfter ? (Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - clock.now()) : 500;
        await clock.sleep(Math.max(0, ms));
      };
      for (let page = 1; page <= 30;) {
        if (!auth) {
          const login = await attempt('/login', { method: 'POST', body: JSON.stringify(credentials) });
          if (login?.status === 200 && isJson(login.text) && login.text.startsWith('{"access_token"')) {
            auth = `Bearer ${(JSON.parse(login.text) as { access_token: string }).access_token}`;
          } else await wait(login?.retryAfter);
          continue;
        }
        const res = await attempt(`/customers?page=${page}&limit=100`, { headers: { authorization: auth } });
        if (res?.status === 401) auth = '';
        else if (res?.status === 200 && isJson(res.text)) {
          for (const text of recordTexts(res.text)) {
            const id = Number(/^\{"id":(\d+),/.exec(text)?.[1]);
            const before = kept.get(id);
            if (before !== undefined) expect(text).toBe(before);
            kept.set(id, text);
          }
          page++;
        } else await wait(res?.retryAfter);
      }
    });

    expect(kept.size).toBe(3000);
    for (const record of expectedCustomers(options)) expect(kept.get(record.id)).toBe(toJson(record));
    const stats = sim.stats();
    expect(stats.requests).toBe(attempts);
    expect(stats.faults.outage).toBeGreaterThan(0);
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.faults.internal_error + stats.faults.bad_gateway + stats.faults.unavailable).toBeGreaterThan(0);
    expect(stats.duplicatesServed).toBeGreaterThan(0);
    expect(stats.logins.succeeded).toBeGreaterThan(1); // tokens of seconds expire mid-run
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
