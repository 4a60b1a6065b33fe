import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthClient, type AuthClientOptions, type AuthEvent } from '../../src/auth/index.js';
import { AuthError } from '../../src/errors.js';
import { redactingLoggerOptions, SecretRegistry } from '../../src/logging/index.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { startHttpApi, type ApiAnswer, type ApiRequest, type RunningHttpApi } from '../support/startHttpApi.js';

// The token client against real HTTP servers: the login of any shape, OAuth 2.0 client
// credentials, and where a login may be redirected. The clock is simulated (lifetimes pass
// without waiting); the requests are real.

const SECRET = 'pw/canary+7 q'; // form encoding turns "/", "+" and " " into other bytes
const servers: RunningHttpApi[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(answer: (request: ApiRequest) => ApiAnswer): Promise<RunningHttpApi> {
  const server = await startHttpApi(answer);
  servers.push(server);
  return server;
}

function clientFor(baseUrl: string, grant: NonNullable<AuthClientOptions['grant']>) {
  const clock = new SimulatedClock(0);
  const secrets = new SecretRegistry();
  const lines: string[] = [];
  const logger = pino(redactingLoggerOptions({ level: 'debug', secrets }), { write: (s: string) => void lines.push(s) });
  const client = new AuthClient({ baseUrl, grant, maxAttempts: 1 }, { clock, random: () => 0.5, fetch: globalThis.fetch, logger, secrets });
  const events: AuthEvent[] = [];
  client.subscribe((e) => events.push(e));
  const refreshed = (): Promise<void> =>
    new Promise((resolve) => {
      const stop = client.subscribe((e) => e.type === 'token.refreshed' && (stop(), resolve()));
    });
  return { client, clock, secrets, events, refreshed, logText: () => lines.join('') };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error: unknown) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const bodyOf = (r: ApiRequest): unknown => JSON.parse(r.body);

describe('login: a JSON body of any shape, the token and its lifetime where the source says', () => {
  const grant = {
    type: 'login',
    path: '/session',
    body: { credentials: { user: 'demo', secret: SECRET }, remember: true },
    tokenPath: 'data.session.key',
    expiresInPath: 'data.ttl',
    scheme: 'Token',
  } as const;

  it('posts the body as given to baseUrl + path, sends "<scheme> <token>", and logs in again once the lifetime runs out', async () => {
    let issued = 0;
    const server = await serve((r) => {
      const body = bodyOf(r) as typeof grant.body;
      if (r.url.pathname !== '/api/session' || body.credentials.secret !== SECRET) return { status: 401 };
      return { body: { data: { session: { key: `sess-${++issued}` }, ttl: '600' } } };
    });
    const { client, clock, events, refreshed } = clientFor(`${server.url}/api`, grant);
    expect(await client.getAuthHeader()).toBe('Token sess-1');
    expect(server.requests[0]).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(server.requests[0]?.url.pathname).toBe('/api/session');
    expect(bodyOf(server.requests[0]!)).toEqual(grant.body);
    await clock.advance(470_000);
    expect(await client.getAuthHeader()).toBe('Token sess-1');
    // Past 80 % of its 600 s: still handed out while a login in the background replaces it.
    await clock.advance(20_000);
    const replaced = refreshed();
    expect(await client.getAuthHeader()).toBe('Token sess-1');
    await replaced;
    expect(await client.getAuthHeader()).toBe('Token sess-2');
    expect(events.filter((e) => e.type === 'token.refreshed')).toEqual([
      { type: 'token.refreshed', reason: 'initial', expiresInMs: 600_000, attempts: 1 },
      { type: 'token.refreshed', reason: 'refresh-ahead', expiresInMs: 600_000, attempts: 1 },
    ]);
    expect(client.stats).toMatchObject({ logins: 2, refreshes: 1, loginAttempts: 2 });
  });

  it('without expiresInPath the token is used until a 401, then the login runs once more', async () => {
    let issued = 0;
    const server = await serve(() => ({ body: { token: `t-${++issued}`, expires_in: 5 } }));
    const { client, clock } = clientFor(server.url, { type: 'login', body: { apiKey: SECRET }, tokenPath: 'token' });
    const first = await client.getAuthHeader();
    expect(first).toBe('Bearer t-1');
    // The answer's own expires_in is not what the source named: a year later, the same token.
    await clock.advance(365 * 24 * 3600_000);
    expect(await client.getAuthHeader()).toBe(first);
    expect(server.requests).toHaveLength(1);
    client.invalidate(first);
    expect(await client.getAuthHeader()).toBe('Bearer t-2');
    expect(server.requests.map((r) => r.url.pathname)).toEqual(['/login', '/login']);
  });

  it('registers every credential of the body (at any depth) and the token for redaction, and releases them on close', async () => {
    const server = await serve(() => ({ body: { data: { session: { key: 'token-canary-41' }, ttl: 60 } } }));
    const { client, secrets, logText } = clientFor(server.url, grant);
    await client.getAuthHeader();
    expect(secrets.redact(`${SECRET} token-canary-41 demo`)).toBe('[REDACTED] [REDACTED] demo');
    expect(logText()).toContain('logged in');
    expect(logText()).not.toContain('token-canary-41');
    client.close();
    expect(secrets.size).toBe(0);
  });

  it('a missing token or lifetime at the named paths is a clear AuthError, not retried', async () => {
    const server = await serve(() => ({ body: { data: { session: { key: 'k' } } } }));
    const { client } = clientFor(server.url, grant);
    const error = await failure(client.getAuthHeader());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/has no valid data\.ttl/);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a login is never redirected off its origin', () => {
  it('follows a 307 and a 308 on its own origin, posting the same body', async () => {
    const server = await serve((r) => {
      if (r.url.pathname === '/login') return { status: 307, headers: { location: '/v2/login' } };
      if (r.url.pathname === '/v2/login') return { status: 308, headers: { location: `${serverUrl()}/v3/login` } };
      return { body: { access_token: 'moved', expires_in: 60 } };
    });
    const serverUrl = (): string => server.url;
    const { client } = clientFor(server.url, { type: 'login', body: { username: 'demo', password: SECRET } });
    expect(await client.getAuthHeader()).toBe('Bearer moved');
    expect(server.requests.map((r) => [r.method, r.url.pathname, bodyOf(r)])).toEqual(
      ['/login', '/v2/login', '/v3/login'].map((url) => ['POST', url, { username: 'demo', password: SECRET }]),
    );
    expect(client.stats.loginAttempts).toBe(1);
  });

  it('a 307 to another origin is a fatal AuthError naming both origins; the other host gets nothing, the error no secret', async () => {
    const elsewhere = await serve(() => ({ body: { access_token: 'stolen', expires_in: 60 } }));
    const api = await serve(() => ({ status: 307, headers: { location: `${elsewhere.url}/collect?key=${SECRET}` } }));
    const { client, logText } = clientFor(api.url, { type: 'login', body: { username: 'demo', password: SECRET } });
    const error = await failure(client.getAuthHeader());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain(`from ${api.url} to ${elsewhere.url}`);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('collect');
    expect(elsewhere.requests).toHaveLength(0);
    expect(api.requests).toHaveLength(1);
    expect(logText()).not.toContain(SECRET);
  });

  it('another port of the same host is another origin', async () => {
    const other = await serve(() => ({ body: { access_token: 'x', expires_in: 60 } }));
    const api = await serve(() => ({ status: 308, headers: { location: `${other.url.replace('127.0.0.1', 'localhost')}/login` } }));
    const { client } = clientFor(api.url, { type: 'login', body: { username: 'demo', password: SECRET } });
    expect((await failure(client.getAuthHeader())).message).toMatch(
      /was redirected \(308\) from http:\/\/127\.0\.0\.1:\d+ to http:\/\/localhost:\d+/,
    );
    expect(other.requests).toHaveLength(0);
  });

  it('a redirect loop on the origin ends after 3 hops; a 302 (which would turn the POST into a GET) is not followed', async () => {
    const loop = await serve((r) => ({ status: 307, headers: { location: r.url.pathname === '/a' ? '/b' : '/a' } }));
    const { client } = clientFor(loop.url, { type: 'login', path: '/a', body: { username: 'demo', password: SECRET } });
    expect((await failure(client.getAuthHeader())).message).toMatch(/redirected more than 3 times/);
    expect(loop.requests).toHaveLength(4);

    const found = await serve(() => ({ status: 302, headers: { location: '/elsewhere' } }));
    const second = clientFor(found.url, { type: 'login', body: { username: 'demo', password: SECRET } });
    expect((await failure(second.client.getAuthHeader())).message).toMatch(/failed: HTTP 302/);
    expect(found.requests.map((r) => r.url.pathname)).toEqual(['/login']);
  });
});

describe('OAuth 2.0 client credentials (RFC 6749 §4.4)', () => {
  const clientId = 'ingest client';
  const basic = `Basic ${Buffer.from(`ingest+client:${encodeURIComponent(SECRET).replace(/%20/g, '+')}`).toString('base64')}`;

  /** A token endpoint that checks the client the way §2.3.1 says, per `clientAuth`. */
  function tokenEndpoint(clientAuth: 'basic' | 'body', expiresIn: number | null = 3600) {
    let issued = 0;
    return (r: ApiRequest): ApiAnswer => {
      const form = new URLSearchParams(r.body);
      const authenticated =
        clientAuth === 'basic'
          ? r.headers['authorization'] === basic && !form.has('client_secret')
          : r.headers['authorization'] === undefined && form.get('client_id') === clientId && form.get('client_secret') === SECRET;
      if (!authenticated) return { status: 401, body: { error: 'invalid_client' } };
      if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      return {
        body: { access_token: `access-${++issued}`, token_type: 'bearer', ...(expiresIn === null ? {} : { expires_in: expiresIn }) },
      };
    };
  }

  it('HTTP Basic client authentication (the default), scope and audience in the form, to a path on the base URL', async () => {
    const server = await serve(tokenEndpoint('basic'));
    const { client, clock, secrets } = clientFor(`${server.url}/api/`, {
      type: 'oauth2',
      tokenUrl: '/oauth/token',
      clientId,
      clientSecret: SECRET,
      scope: 'read:items write',
      audience: 'https://api.example.com',
    });
    expect(await client.getAuthHeader()).toBe('Bearer access-1');
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(request?.url.pathname).toBe('/api/oauth/token');
    expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read:items write',
      audience: 'https://api.example.com',
    });
    // Refreshed before its hour is up, like a login.
    await clock.advance(3600_000);
    expect(await client.getAuthHeader()).toBe('Bearer access-2');
    expect(secrets.redact(`${SECRET} ${basic} access-2`)).toBe('[REDACTED] Basic [REDACTED] [REDACTED]');
  });

  it('client_id and client_secret in the form with clientAuth: body, to an absolute tokenUrl on another host', async () => {
    const issuer = await serve(tokenEndpoint('body', null));
    const { client, clock } = clientFor('http://api.invalid', {
      type: 'oauth2',
      tokenUrl: `${issuer.url}/token`,
      clientId,
      clientSecret: SECRET,
      clientAuth: 'body',
    });
    const first = await client.getAuthHeader();
    expect(first).toBe('Bearer access-1');
    expect(new URLSearchParams(issuer.requests[0]!.body).get('scope')).toBeNull();
    // No expires_in (it is only recommended): used until a 401.
    await clock.advance(30 * 24 * 3600_000);
    expect(await client.getAuthHeader()).toBe(first);
    client.invalidate(first);
    expect(await client.getAuthHeader()).toBe('Bearer access-2');
  });

  it('a refused client is a fatal AuthError with the OAuth error code, never the secret; a non-bearer token type is refused', async () => {
    const server = await serve(tokenEndpoint('basic'));
    const { client, logText } = clientFor(server.url, { type: 'oauth2', tokenUrl: '/token', clientId, clientSecret: 'wrong-secret' });
    const error = await failure(client.getAuthHeader());
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(
      /token request refused by POST http:\/\/127\.0\.0\.1:\d+\/token: HTTP 401 \(invalid_client\); check the client id and secret/,
    );
    expect(error.message).not.toContain('wrong-secret');
    expect(logText()).not.toContain('wrong-secret');

    const mac = await serve(() => ({ body: { access_token: 'm', token_type: 'mac', expires_in: 60 } }));
    const second = clientFor(mac.url, { type: 'oauth2', tokenUrl: '/token', clientId, clientSecret: SECRET });
    expect((await failure(second.client.getAuthHeader())).message).toMatch(/token_type "mac"; only Bearer is supported/);
  });
});
