import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuthClient, refreshDelayMs, type AuthClientOptions, type AuthEvent } from '../../src/auth/index.js';
import { AuthError, ConfigError } from '../../src/errors.js';
import { redactingLoggerOptions, SecretRegistry } from '../../src/logging/index.js';
import type { Random } from '../../src/runtime/random.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { after, hang, json, loginOk, scriptedFetch, type Step } from './fakeFetch.js';

const PASSWORD = 'canary-pw-8f3a!';

interface Setup {
  readonly clock: SimulatedClock;
  readonly client: AuthClient;
  readonly calls: ReturnType<typeof scriptedFetch>['calls'];
  readonly logText: () => string;
  readonly events: AuthEvent[];
  readonly secrets: SecretRegistry;
}

function setup(
  steps: Step[],
  options: Partial<AuthClientOptions> = {},
  random: Random = () => 0.5,
  stepsFor?: (clock: SimulatedClock) => Step[],
): Setup {
  const clock = new SimulatedClock(0);
  const { fetch, calls } = scriptedFetch(clock, stepsFor ? stepsFor(clock) : steps);
  const lines: string[] = [];
  const secrets = new SecretRegistry();
  const logger = pino(redactingLoggerOptions({ level: 'debug', secrets }), { write: (s: string) => void lines.push(s) });
  const client = new AuthClient(
    { baseUrl: 'http://api.test/v1/', username: 'demo', password: PASSWORD, ...options },
    { clock, random, fetch, logger, secrets },
  );
  const events: AuthEvent[] = [];
  client.subscribe((e) => events.push(e));
  return { clock, client, calls, logText: () => lines.join(''), events, secrets };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('AuthClient login', () => {
  it('POSTs the credentials as JSON to baseUrl + loginPath and returns a Bearer header, reused until refresh', async () => {
    const { clock, client, calls } = setup([json(200, { access_token: 'abc', token_type: 'Bearer', expires_in: 3600 })]);
    const header = await clock.run(() => client.getAuthHeader());
    expect(header).toBe('Bearer abc');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: 'http://api.test/v1/login', method: 'POST', body: { username: 'demo', password: PASSWORD } });
    await clock.advance(60_000);
    expect(await client.getAuthHeader()).toBe('Bearer abc');
    expect(calls).toHaveLength(1);
    expect(client.stats).toMatchObject({ logins: 1, refreshes: 0, loginAttempts: 1 });
  });

  it('close() drops the token and unregisters the tokens and the password it registered', async () => {
    const { clock, client, secrets } = setup([loginOk(3600), loginOk(3600), loginOk(3600)]);
    const first = await clock.run(() => client.getAuthHeader());
    client.invalidate(first);
    const second = await clock.run(() => client.getAuthHeader());
    client.invalidate(second);
    const third = await clock.run(() => client.getAuthHeader());
    // The password and the last two tokens: an older one is expired and harmless.
    expect(secrets.size).toBe(3);
    expect(secrets.redact(`${first} ${second} ${third}`)).toBe(`${first} Bearer [REDACTED] Bearer [REDACTED]`);
    client.close();
    expect(secrets.size).toBe(0);
    expect(secrets.redact(third)).toBe(third);
  });

  it('close() stops a login in flight: its token is never registered', async () => {
    const { clock, client, calls, secrets } = setup(
      [],
      {},
      () => 0.5,
      (c) => [after(c, 500, () => loginOk())],
    );
    const header = client.getAuthHeader();
    await clock.advance(100);
    expect(calls).toHaveLength(1);
    client.close();
    await expect(header).rejects.toThrow('the auth client is closed');
    await clock.advance(1_000);
    expect(secrets.size).toBe(0);
  });

  it("refreshes at 80% of a long token's life, with the margin for medium ones, at half-life for short ones", async () => {
    expect(refreshDelayMs(3600_000, { refreshAtFraction: 0.8, refreshMarginMs: 60_000 })).toBe(2880_000);
    expect(refreshDelayMs(120_000, { refreshAtFraction: 0.8, refreshMarginMs: 60_000 })).toBe(60_000);
    expect(refreshDelayMs(60_000, { refreshAtFraction: 0.8, refreshMarginMs: 60_000 })).toBe(30_000);
    expect(refreshDelayMs(5_000, { refreshAtFraction: 0.8, refreshMarginMs: 60_000 })).toBe(2_500);

    const { clock, client, calls, events } = setup([loginOk(3600), loginOk(3600)]);
    const first = await clock.run(() => client.getAuthHeader());
    await clock.advance(2880_000 - 1);
    expect(await client.getAuthHeader()).toBe(first);
    await clock.advance(1);
    // Due for refresh but still valid: handed out at once while the new login runs behind it.
    expect(await client.getAuthHeader()).toBe(first);
    await clock.advance(0);
    const second = await client.getAuthHeader();
    expect(second).not.toBe(first);
    expect(calls.map((c) => c.at)).toEqual([0, 2880_000]);
    expect(client.stats).toMatchObject({ logins: 2, refreshes: 1 });
    expect(events.map((e) => [e.type, e.reason])).toEqual([
      ['token.refreshing', 'initial'],
      ['login.attempt', 'initial'],
      ['token.refreshed', 'initial'],
      ['token.refreshing', 'refresh-ahead'],
      ['login.attempt', 'refresh-ahead'],
      ['token.refreshed', 'refresh-ahead'],
    ]);
  });

  it('holds callers only when the token is (almost) expired, never while it is still valid', async () => {
    // The first login's 700 ms answer allows later attempts 5.6 s, enough for the 5 s refresh.
    const { clock, client, calls } = setup(
      [],
      {},
      () => 0.5,
      (c) => [after(c, 700, () => loginOk(10)), after(c, 5_000, () => loginOk(10))],
    );
    const first = await clock.run(() => client.getAuthHeader());
    await clock.advance(4_300); // half-life of a 10 s token sent at 0: due for refresh
    expect(await client.getAuthHeader()).toBe(first); // the slow refresh does not hold this caller
    await clock.advance(4_500); // 0.5 s before expiry and the refresh still running: callers wait for it
    const waited = await clock.run(() => client.getAuthHeader());
    expect(waited).not.toBe(first);
    expect(clock.now()).toBe(10_000);
    expect(calls).toHaveLength(2);
  });

  it('counts expiry from when the login was sent, and logs in again once expired', async () => {
    const { clock, client, calls } = setup(
      [],
      {},
      () => 0.5,
      (c) => [after(c, 1_000, () => loginOk(10)), loginOk(10)],
    );
    await clock.run(() => client.getAuthHeader());
    expect(clock.now()).toBe(1_000);
    await clock.advance(20_000);
    await clock.run(() => client.getAuthHeader());
    expect(calls.map((c) => c.at)).toEqual([0, 21_000]);
    expect(client.stats.refreshes).toBe(1);
  });

  it('single flight: 10 concurrent callers share one login', async () => {
    const { clock, client, calls } = setup(
      [],
      {},
      () => 0.5,
      (c) => [after(c, 500, () => loginOk())],
    );
    const headers = await clock.run(() => Promise.all(Array.from({ length: 10 }, () => client.getAuthHeader())));
    expect(calls).toHaveLength(1);
    expect(new Set(headers).size).toBe(1);
    expect(client.stats.logins).toBe(1);
  });

  it('invalidate drops the current token only; a stale 401 forces no login', async () => {
    const { clock, client, calls } = setup([loginOk(), loginOk()]);
    const first = await clock.run(() => client.getAuthHeader());
    client.invalidate(first);
    const second = await clock.run(() => client.getAuthHeader());
    expect(second).not.toBe(first);
    expect(calls).toHaveLength(2);
    // A 401 that was answered to a request sent with the old header.
    client.invalidate(first);
    client.invalidate(undefined);
    expect(await client.getAuthHeader()).toBe(second);
    expect(calls).toHaveLength(2);
    expect(client.stats).toMatchObject({ invalidations: 1, staleInvalidations: 2, refreshes: 1 });
  });
});

describe('AuthClient login retries', () => {
  it('retries a 503 after a full-jitter backoff drawn from the injected random', async () => {
    const { clock, client, calls } = setup(
      [json(503, { error: 'unavailable' }), json(500, {}), loginOk()],
      { backoffBaseMs: 200 },
      () => 0.5,
    );
    await clock.run(() => client.getAuthHeader());
    // U(0, 200) at 0.5 = 100 ms, then U(0, 400) at 0.5 = 200 ms.
    expect(calls.map((c) => c.at)).toEqual([0, 100, 300]);
    expect(client.stats).toMatchObject({ logins: 1, loginAttempts: 3 });
  });

  it('honours a 429 Retry-After exactly, in seconds and as an HTTP-date, without jitter', async () => {
    const clock0 = new Date(Date.UTC(2026, 0, 1, 0, 0, 7)).toUTCString();
    const { clock, client, calls } = setup(
      [json(429, {}, { 'retry-after': '3' }), json(429, {}, { 'retry-after': clock0 }), loginOk()],
      {},
      () => 0.99,
    );
    // The clock starts at the epoch + 0: shift it so that the HTTP-date lies ahead.
    await clock.advance(Date.UTC(2026, 0, 1));
    const start = clock.now();
    await clock.run(() => client.getAuthHeader());
    expect(calls.map((c) => c.at - start)).toEqual([0, 3_000, 7_000]);
  });

  it("holds the next caller's login until the Retry-After of a login that gave up has passed", async () => {
    const { clock, client, calls } = setup([json(503, {}), json(503, {}, { 'retry-after': '3' }), loginOk()], { maxAttempts: 2 }, () => 0);
    expect(await clock.run(() => failure(client.getAuthHeader()))).toBeInstanceOf(AuthError);
    const gaveUpAt = clock.now();
    expect(await clock.run(() => client.getAuthHeader())).toMatch(/^Bearer token-/);
    expect(calls.map((c) => c.at - gaveUpAt)).toEqual([expect.any(Number), 0, 3_000]);
  });

  it('caps a Retry-After beyond maxRetryAfterMs', async () => {
    const { clock, client, calls } = setup([json(503, {}, { 'retry-after': '3600' }), loginOk()], { maxRetryAfterMs: 5_000 });
    await clock.run(() => client.getAuthHeader());
    expect(calls.map((c) => c.at)).toEqual([0, 5_000]);
  });

  it('retries network errors and non-JSON bodies', async () => {
    const html = new Response('<html>oops</html>', { status: 200, headers: { 'content-type': 'text/html' } });
    const { clock, client, calls } = setup([new TypeError('fetch failed'), html, loginOk()]);
    expect(await clock.run(() => client.getAuthHeader())).toMatch(/^Bearer token-/);
    expect(calls).toHaveLength(3);
  });

  it('times out a hanging login on the injected clock and retries it', async () => {
    const { clock, client, calls } = setup([hang, loginOk()], { timeoutMs: 10_000 }, () => 0);
    await clock.run(() => client.getAuthHeader());
    expect(calls.map((c) => c.at)).toEqual([0, 10_000]);
    expect(calls[0]?.signal?.aborted).toBe(true);
  });

  it('once logins are answered, cuts an attempt after 8x the slowest answer (at least 2 s), doubling per attempt up to timeoutMs', async () => {
    const slowThenHang = (c: SimulatedClock): Step[] => [after(c, 400, () => loginOk(100)), hang, hang, hang, loginOk(100)];
    const { clock, client, calls } = setup([], { timeoutMs: 10_000 }, () => 0, slowThenHang);
    const first = await clock.run(() => client.getAuthHeader());
    await clock.advance(100_000 - 400); // expired: the refresh holds every caller, so it must not wait 10 s on a silent server
    const second = await clock.run(() => client.getAuthHeader());
    expect(second).not.toBe(first);
    // 8 x 400 ms = 3.2 s, then 6.4 s, then capped at timeoutMs (10 s); backoff is 0 with random = 0.
    expect(calls.map((c) => c.at)).toEqual([0, 100_000, 103_200, 109_600, 119_600]);
  });

  it('times out even a fetch that ignores its signal, and fails clearly when every attempt hangs', async () => {
    const never = (): Promise<Response> => new Promise<Response>(() => undefined);
    const { clock, client, calls } = setup([never, never], { timeoutMs: 2_000, maxAttempts: 2 }, () => 0);
    const error = await clock.run(() => failure(client.getAuthHeader()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toBe(
      'login to POST http://api.test/v1/login failed after 2 attempts; last: timeout after 2000 ms',
    );
    expect(calls.map((c) => c.at)).toEqual([0, 2_000]);
    expect(clock.now()).toBe(4_000);
  });

  it('gives up after maxAttempts transient failures, naming the last status', async () => {
    const { clock, client, calls } = setup([json(500, {}), json(500, {}), json(502, {})], { maxAttempts: 3 });
    const error = await clock.run(() => failure(client.getAuthHeader()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 502, url: 'http://api.test/v1/login' });
    expect(calls).toHaveLength(3);
    expect(client.stats).toMatchObject({ failedLogins: 1, logins: 0 });
  });
});

describe('AuthClient failures', () => {
  it.each([401, 403])('fails at once on %i with an AuthError naming URL and status, never the password', async (status) => {
    const { clock, client, calls, logText } = setup([json(status, { error: 'invalid_credentials' })]);
    const error = await clock.run(() => failure(client.getAuthHeader()));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status, url: 'http://api.test/v1/login' });
    const message = (error as AuthError).message;
    expect(message).toContain('http://api.test/v1/login');
    expect(message).toContain(String(status));
    expect(message).not.toContain(PASSWORD);
    expect(calls).toHaveLength(1);
    expect(clock.now()).toBe(0);
    expect(logText()).toContain('login failed');
    expect(logText()).not.toContain(PASSWORD);
  });

  it.each([
    ['no access_token', { token_type: 'Bearer', expires_in: 60 }, /has no access_token/],
    ['a negative expires_in', { access_token: 'x', expires_in: -5 }, /no valid expires_in/],
    ['a missing expires_in', { access_token: 'x' }, /no valid expires_in/],
    ['a JSON array', [1, 2], /has no access_token/],
  ])('rejects a login response with %s as a clear AuthError, not retried', async (_name, body, pattern) => {
    const { clock, client, calls } = setup([json(200, body)]);
    const error = await clock.run(() => failure(client.getAuthHeader()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toMatch(pattern);
    expect(calls).toHaveLength(1);
  });

  it('keeps the password and tokens out of errors and logs, even when a failure echoes them', async () => {
    const echo = new TypeError(`socket closed while sending {"password":"${PASSWORD}"}`);
    const { clock, client, logText } = setup([echo, echo], { maxAttempts: 2 });
    const error = await clock.run(() => failure(client.getAuthHeader()));
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toContain('[REDACTED]');
    expect((error as AuthError).message).not.toContain(PASSWORD);
    expect(logText()).not.toContain(PASSWORD);

    const ok = setup([json(200, { access_token: 'token-canary-77', expires_in: 60 })]);
    await ok.clock.run(() => ok.client.getAuthHeader());
    expect(ok.logText()).toContain('logged in');
    expect(ok.logText()).not.toContain('token-canary-77');
  });

  it('validates its options, listing every problem without the password', () => {
    const clock = new SimulatedClock(0);
    const runtime = {
      clock,
      random: () => 0,
      fetch: scriptedFetch(clock, []).fetch,
      logger: pino({ level: 'silent' }),
      secrets: new SecretRegistry(),
    };
    const error = (() => {
      try {
        new AuthClient({ baseUrl: 'not a url', username: '', password: PASSWORD, maxAttempts: 0, timeoutMs: -1 }, runtime);
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'auth.baseUrl: not a valid URL',
        'auth.username: required (or set INGEST_USERNAME)',
        expect.stringMatching(/^auth\.maxAttempts/),
        expect.stringMatching(/^auth\.timeoutMs/),
      ]),
    );
    expect((error as ConfigError).message).not.toContain(PASSWORD);
  });
});

describe('AuthClient and abort signals', () => {
  it('a caller that aborts leaves the shared login running for the others', async () => {
    const { clock, client, calls } = setup(
      [],
      {},
      () => 0.5,
      (c) => [after(c, 1_000, () => loginOk())],
    );
    const quitter = new AbortController();
    const result = await clock.run(async () => {
      const a = client.getAuthHeader(quitter.signal);
      const b = client.getAuthHeader(new AbortController().signal);
      clock.setTimeout(() => quitter.abort(new Error('caller gave up')), 100);
      return Promise.allSettled([a, b]);
    });
    expect(result[0]).toMatchObject({ status: 'rejected', reason: new Error('caller gave up') });
    expect(result[1]).toMatchObject({ status: 'fulfilled' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted).toBe(false);
  });

  it('when every caller aborts, the login is aborted and not retried; the next caller starts afresh', async () => {
    const { clock, client, calls } = setup([hang], {}, () => 0.5);
    const ac = new AbortController();
    const error = await clock.run(async () => {
      const p = failure(client.getAuthHeader(ac.signal));
      clock.setTimeout(() => ac.abort(new Error('stop')), 50);
      return p;
    });
    expect(error).toEqual(new Error('stop'));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted).toBe(true);
    expect(client.stats.failedLogins).toBe(0);
    expect(await clock.run(() => client.getAuthHeader())).toMatch(/^Bearer /);
    expect(calls).toHaveLength(2);
  });

  it('rejects at once with an already aborted signal', async () => {
    const { client, calls } = setup([]);
    await expect(client.getAuthHeader(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(calls).toHaveLength(0);
  });
});
