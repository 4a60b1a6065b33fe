import { describe, expect, it } from 'vitest';
import { attemptLogin, type LoginAttempt } from '../../src/auth/loginAttempt.js';
import { loginRequest } from '../../src/auth/tokenRequest.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

const PASSWORD = 'pw-canary-9f3';

function request(clock: SimulatedClock, fetch: Fetch, signal = new AbortController().signal): LoginAttempt {
  const login = loginRequest('http://api.test/v1', {
    type: 'login',
    path: '/login?token=s3cret',
    body: { username: 'demo', password: PASSWORD },
    tokenPath: 'access_token',
    expiresInPath: 'expires_in',
    scheme: 'Bearer',
  });
  return { request: login, timeoutMs: 1000, fetch, clock, signal };
}

/** A 200 whose head comes at once and whose body never finishes (one chunk, then silence). */
function stalledBody(): Fetch {
  return () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"access_token":'));
      },
    });
    return Promise.resolve(new Response(body, { status: 200 }));
  };
}

describe('attemptLogin', () => {
  it('POSTs the credentials as JSON with content-type and accept headers', async () => {
    const clock = new SimulatedClock(0);
    const seen: { url: string; method?: string | undefined; headers?: unknown; body?: unknown; redirect?: unknown }[] = [];
    const fetch: Fetch = (url, init) => {
      seen.push({ url: String(url), method: init?.method, headers: init?.headers, body: init?.body, redirect: init?.redirect });
      return Promise.resolve(Response.json({ access_token: 'tok', expires_in: 60 }));
    };
    const outcome = await attemptLogin(request(clock, fetch));
    expect(outcome).toEqual({ kind: 'ok', accessToken: 'tok', expiresInMs: 60_000 });
    expect(seen).toEqual([
      {
        url: 'http://api.test/v1/login?token=s3cret',
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        redirect: 'manual',
        body: JSON.stringify({ username: 'demo', password: PASSWORD }),
      },
    ]);
  });

  it('an endless answer is cut off at 1 MiB and fails the login, never held whole', async () => {
    const clock = new SimulatedClock(0);
    let pulled = 0;
    const endless: Fetch = () =>
      Promise.resolve(
        new Response(
          new ReadableStream({ pull: (controller) => void (pulled++, controller.enqueue(new Uint8Array(64 * 1024).fill(0x20))) }),
          {
            status: 200,
          },
        ),
      );
    const outcome = await clock.run(() => attemptLogin(request(clock, endless)));
    expect(outcome).toMatchObject({ kind: 'fatal', error: { status: 200 } });
    expect(outcome.kind === 'fatal' && outcome.error.message).toBe(
      'login to POST http://api.test/v1/login answered more than 1048576 bytes: not a token',
    );
    expect(pulled).toBeLessThan(24);
  });

  it('reliability row 12: a body cut off by the deadline is a transient timeout that keeps the status of its head', async () => {
    const clock = new SimulatedClock(0);
    const outcome = await clock.run(() => attemptLogin(request(clock, stalledBody())));
    expect(outcome).toMatchObject({ kind: 'transient', status: 200, reason: 'timeout after 1000 ms', retryAfterMs: undefined });
    expect(clock.now()).toBe(1000);
    expect(clock.pendingTimers).toBe(0);
  });

  it("reliability row 9: a connection reset is a transient network error in the transport's own words, its cause the raw error", async () => {
    const clock = new SimulatedClock(0);
    const reset = new TypeError('fetch failed', { cause: new Error('read ECONNRESET') });
    const outcome = await attemptLogin(request(clock, () => Promise.reject(reset)));
    expect(outcome).toEqual({
      kind: 'transient',
      status: undefined,
      reason: 'network error: fetch failed: read ECONNRESET',
      retryAfterMs: undefined,
      cause: reset,
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it("rejects with the signal's reason when aborted from outside, even if fetch ignores its signal", async () => {
    const clock = new SimulatedClock(0);
    const ac = new AbortController();
    const never: Fetch = () => new Promise<Response>(() => undefined);
    clock.setTimeout(() => ac.abort(new Error('run stopped')), 50);
    await expect(clock.run(() => attemptLogin(request(clock, never, ac.signal)))).rejects.toThrow('run stopped');
    expect(clock.now()).toBe(50);
    expect(clock.pendingTimers).toBe(0);
  });

  it('names the login URL without its secret query and never the password in a refusal', async () => {
    const clock = new SimulatedClock(0);
    const outcome = await attemptLogin(request(clock, () => Promise.resolve(Response.json({ error: PASSWORD }, { status: 401 }))));
    expect(outcome.kind).toBe('fatal');
    const message = outcome.kind === 'fatal' ? outcome.error.message : '';
    expect(message).toContain('http://api.test/v1/login');
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain(PASSWORD);
  });
});
