import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuthClient } from '../../src/auth/index.js';
import { AuthError } from '../../src/errors.js';
import { SecretRegistry } from '../../src/logging/index.js';
import { seededRandom } from '../../src/runtime/random.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch, type SimulatorOptions } from '../../src/simulator/index.js';

function against(options: SimulatorOptions, password = 'demo-password') {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const sim = createSimulatorFetch(options, clock);
  const client = new AuthClient(
    { baseUrl: sim.url, username: 'demo', password },
    { clock, random: seededRandom(7), fetch: sim.fetch, logger: pino({ level: 'silent' }), secrets: new SecretRegistry() },
  );
  return { clock, sim, client };
}

describe('AuthClient against the in-memory simulator', () => {
  it("logs in, gets accepted by /customers, and refreshes ahead of the simulator's expiry", async () => {
    const { clock, sim, client } = against({ profile: 'calm', tokenLifetimeSeconds: 120, records: 10 });
    const get = async (): Promise<number> => {
      const header = await client.getAuthHeader();
      const res = await sim.fetch(`${sim.url}/customers?page=1&limit=5`, { headers: { authorization: header } });
      await res.text();
      return res.status;
    };
    // Every 10 s for 10 minutes: the token is never used past its life.
    const statuses = await clock.run(async () => {
      const seen: number[] = [];
      for (let i = 0; i < 60; i++) {
        seen.push(await get());
        await clock.sleep(10_000);
      }
      return seen;
    });
    expect(statuses.every((s) => s === 200)).toBe(true);
    // 120 s tokens refreshed with 60 s left: one login per minute of the 10.
    expect(client.stats.logins).toBe(10);
    expect(sim.stats().logins.succeeded).toBe(client.stats.logins);
  });

  it('gets through a hostile login (faults on /login) with retries', async () => {
    const { clock, sim, client } = against({ profile: 'hostile', seed: 3, records: 10 });
    const headers = await clock.run(async () => {
      const out: string[] = [];
      for (let i = 0; i < 20; i++) {
        client.invalidate(out.at(-1));
        out.push(await client.getAuthHeader());
      }
      return out;
    });
    expect(new Set(headers).size).toBe(20);
    expect(client.stats.logins).toBe(20);
    // Faults hit some logins (a 200 cut short counts as a success on the server's side only).
    const received = Object.values(sim.stats().byEndpoint.login).reduce((a, b) => a + b, 0);
    expect(client.stats.loginAttempts).toBe(received);
    expect(received).toBeGreaterThan(20);
    expect(sim.stats().logins.succeeded).toBeGreaterThanOrEqual(20);
  });

  it('fails at once with wrong credentials', async () => {
    const { clock, sim, client } = against({ profile: 'calm' }, 'wrong-password-canary');
    const error = await clock.run(() =>
      client.getAuthHeader().then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 401 });
    expect(String((error as AuthError).message)).not.toContain('wrong-password-canary');
    expect(sim.stats().logins.failed).toBe(1);
    expect(client.stats.loginAttempts).toBe(1);
  });
});
