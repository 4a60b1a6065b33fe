import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch, startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { bearer } from './helpers.js';

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

describe('createSimulatorFetch under a SimulatedClock', () => {
  it('delivers the response head only after the drawn latency, in virtual time', async () => {
    const clock = new SimulatedClock(0);
    const sim = createSimulatorFetch({ profile: 'calm', latency: { kind: 'fixed', ms: 750 } }, clock);
    let settled = false;
    const pending = sim.fetch(`${sim.url}/customers`).then((res) => {
      settled = true;
      return res;
    });
    await clock.advance(749);
    expect(settled).toBe(false);
    await clock.advance(1);
    const res = await pending;
    expect(settled).toBe(true);
    expect(res.status).toBe(401);
    expect(res.url).toBe(`${sim.url}/customers`);
    expect(clock.now()).toBe(750);
    // /health answers at once: readiness checks see no latency and no faults.
    expect((await sim.fetch(`${sim.url}/health`)).status).toBe(200);
  });

  it('streams a trickling body on clock timers, whole and identical to the plain body', async () => {
    const clock = new SimulatedClock(0);
    const options: SimulatorOptions = { profile: 'calm', records: 40, faultsOnLogin: false, trickleChunks: 5, trickleIntervalMs: 1000 };
    const plain = createSimulatorFetch(options, clock);
    const slow = createSimulatorFetch({ ...options, trickleRate: 1 }, clock);
    const expected = await clock.run(async () => {
      const res = await plain.fetch(`${plain.url}/customers?limit=40`, {
        headers: { authorization: await bearer(plain.url, plain.fetch) },
      });
      return res.text();
    });
    const { text, headAt, doneAt } = await clock.run(async () => {
      const auth = await bearer(slow.url, slow.fetch);
      const start = clock.now();
      const res = await slow.fetch(`${slow.url}/customers?limit=40`, { headers: { authorization: auth } });
      const headAt = clock.now() - start;
      const text = await res.text();
      return { text, headAt, doneAt: clock.now() - start };
    });
    expect(headAt).toBe(0);
    expect(doneAt).toBe(4000); // 5 chunks, 1 s apart, the first at once
    expect(text).toBe(expected);
    expect(slow.stats().faults.trickle).toBe(1);
  });

  it('rejects with the signal reason when aborted during the latency', async () => {
    const clock = new SimulatedClock(0);
    const sim = createSimulatorFetch({ profile: 'calm', latency: { kind: 'fixed', ms: 10_000 } }, clock);
    const controller = new AbortController();
    const pending = sim.fetch(`${sim.url}/customers`, { signal: controller.signal });
    await clock.advance(5_000);
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);

    const plain = new AbortController();
    const second = sim.fetch(`${sim.url}/customers`, { signal: plain.signal });
    plain.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    await expect(sim.fetch(`${sim.url}/health`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('errors a trickling body with the signal reason when aborted mid-body', async () => {
    const clock = new SimulatedClock(0);
    const sim = createSimulatorFetch({ profile: 'calm', faultsOnLogin: false, trickleRate: 1, trickleIntervalMs: 1000 }, clock);
    const reason = new Error('too slow');
    await clock.run(async () => {
      const controller = new AbortController();
      const res = await sim.fetch(`${sim.url}/customers`, {
        headers: { authorization: await bearer(sim.url, sim.fetch) },
        signal: controller.signal,
      });
      clock.setTimeout(() => controller.abort(reason), 2500);
      await expect(res.text()).rejects.toBe(reason);
      expect(clock.now()).toBe(2500);
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects a reset like undici does, and cuts a truncated body', async () => {
    const clock = new SimulatedClock(0);
    const reset = createSimulatorFetch({ profile: 'calm', faultsOnLogin: false, resetRate: 1 }, clock);
    const auth = await bearer(reset.url, reset.fetch);
    const failure = await reset.fetch(`${reset.url}/customers`, { headers: { authorization: auth } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNRESET' } });

    const cut = createSimulatorFetch({ profile: 'calm', faultsOnLogin: false, truncateRate: 1 }, clock);
    const res = await cut.fetch(`${cut.url}/customers`, { headers: { authorization: await bearer(cut.url, cut.fetch) } });
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('accepts a Request object with its own body and headers', async () => {
    const clock = new SimulatedClock(0);
    const sim = createSimulatorFetch({ profile: 'calm' }, clock);
    const res = await sim.fetch(
      new Request(`${sim.url}/login`, { method: 'POST', body: JSON.stringify({ username: 'demo', password: 'demo-password' }) }),
    );
    expect(res.status).toBe(200);
    expect(sim.stats().logins.succeeded).toBe(1);
  });

  it('answers byte for byte like the HTTP adapter for the same seed and request sequence', async () => {
    const options: SimulatorOptions = {
      profile: 'hostile',
      seed: 99,
      records: 120,
      latency: { kind: 'none' },
      slowRate: 0,
      resetRate: 0,
      trickleRate: 0,
      outages: [],
      rateLimit: 0,
      serverErrorRate: 0.15,
      unavailableRate: 0.15,
      truncateRate: 0.1,
      wrongContentRate: 0.1,
      dirtyRate: 0.5,
      duplicateRate: 0.2,
    };
    const httpClock = new SimulatedClock(0);
    const http = await startSimulator({ ...options, clock: httpClock });
    running.push(http);
    const memory = createSimulatorFetch(options, new SimulatedClock(0));
    const transcript = async (base: string, fetchFn: typeof fetch): Promise<string[]> => {
      const lines: string[] = [];
      let auth = '';
      for (let i = 0; i < 40; i++) {
        if (auth === '') {
          const login = await fetchFn(`${base}/login`, {
            method: 'POST',
            body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
          });
          const text = await login.text();
          lines.push(`login ${login.status} ${text}`);
          if (login.status === 200 && text.startsWith('{')) auth = `Bearer ${(JSON.parse(text) as { access_token: string }).access_token}`;
          continue;
        }
        const res = await fetchFn(`${base}/customers?page=${1 + (i % 5)}&limit=30`, { headers: { authorization: auth } });
        lines.push(`${res.status} ${res.headers.get('content-type')} ${res.headers.get('retry-after')} ${await res.text()}`);
      }
      return lines;
    };
    const overHttp = await transcript(http.url, fetch);
    const inMemory = await transcript(memory.url, memory.fetch);
    expect(inMemory).toEqual(overHttp);
    expect(new Set(overHttp.map((l) => l.split(' ')[0])).size).toBeGreaterThanOrEqual(3);
    expect(memory.stats()).toEqual(http.stats());
  });
});
