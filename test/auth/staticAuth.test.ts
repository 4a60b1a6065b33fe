import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyAuth, BasicAuth, credentialsFromEnv, NoAuth, StaticBearerAuth, type AuthProvider } from '../../src/auth/index.js';
import { credentialQuery, resourceUrl } from '../../src/config/sourceFile.js';
import { withQuery } from '../../src/paging/pagination.js';
import { ConfigError } from '../../src/errors.js';
import { SecretRegistry } from '../../src/logging/index.js';
import { startHttpApi, type RunningHttpApi } from '../support/startHttpApi.js';

let server: RunningHttpApi | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** One GET of `url` with the provider's credential in its header, as the page stream sends it: what the server saw. */
async function sendWith(auth: AuthProvider, url: string) {
  const header = await auth.getAuthHeader();
  const response = await fetch(url, { headers: header === undefined ? {} : { [auth.headerName ?? 'authorization']: header } });
  return { status: response.status, seen: server!.requests.at(-1)! };
}

describe('StaticBearerAuth and NoAuth', () => {
  it('StaticBearerAuth always gives the same header, registers its token as a secret until closed, ignores invalidate', async () => {
    const secrets = new SecretRegistry();
    const auth = new StaticBearerAuth('static-key-123', secrets);
    expect(await auth.getAuthHeader()).toBe('Bearer static-key-123');
    auth.invalidate('Bearer static-key-123');
    expect(await auth.getAuthHeader()).toBe('Bearer static-key-123');
    expect(secrets.redact('key=static-key-123')).toBe('key=[REDACTED]');
    expect(() => new StaticBearerAuth(' ', secrets)).toThrow(/must not be empty/);
    auth.close();
    expect(secrets.size).toBe(0);
  });

  it('NoAuth gives no header', async () => {
    const auth = new NoAuth();
    expect(await auth.getAuthHeader()).toBeUndefined();
    auth.invalidate(undefined);
    await expect(auth.getAuthHeader(AbortSignal.abort(new Error('x')))).rejects.toThrow('x');
  });
});

describe('BasicAuth and ApiKeyAuth against a real server', () => {
  const PASSWORD = 'p:w canary/é';

  it('BasicAuth sends RFC 7617 credentials the server decodes back; password and header registered until closed', async () => {
    server = await startHttpApi((r) => {
      const [scheme, encoded] = String(r.headers['authorization']).split(' ');
      const decoded = Buffer.from(encoded ?? '', 'base64').toString('utf8');
      return { status: scheme === 'Basic' && decoded === `demo:${PASSWORD}` ? 200 : 401 };
    });
    const secrets = new SecretRegistry();
    const auth = new BasicAuth('demo', PASSWORD, secrets);
    expect(await sendWith(auth, `${server.url}/items`)).toMatchObject({ status: 200 });
    const header = (await auth.getAuthHeader())!;
    expect(secrets.redact(`${header} ${PASSWORD}`)).toBe('Basic [REDACTED] [REDACTED]');
    expect(() => new BasicAuth('de:mo', PASSWORD, secrets)).toThrow(/cannot hold ":"/);
    auth.close();
    expect(secrets.size).toBe(0);
  });

  it('ApiKeyAuth in a header: the key alone in the named header, no Authorization', async () => {
    server = await startHttpApi(() => ({ status: 200 }));
    const secrets = new SecretRegistry();
    const auth = new ApiKeyAuth({ in: 'header', name: 'X-API-Key', value: 'key-canary-1' }, secrets);
    const { seen } = await sendWith(auth, `${server.url}/items`);
    expect(seen.headers['x-api-key']).toBe('key-canary-1');
    expect(seen.headers['authorization']).toBeUndefined();
    expect(secrets.redact('key-canary-1')).toBe('[REDACTED]');
  });

  it('ApiKeyAuth in the query: no header; the request carries it beside the params, the resource URL never; every form of it is redacted', async () => {
    server = await startHttpApi(() => ({ status: 200 }));
    const secrets = new SecretRegistry();
    const key = { type: 'apiKey', in: 'query', name: 'appid', value: 'k+y/canary 2' } as const;
    const auth = new ApiKeyAuth(key, secrets);
    expect(auth.headerName).toBeUndefined();
    const url = resourceUrl({ baseUrl: `${server.url}/v1` }, { path: '/items', params: { status: 'active' } });
    expect(url).not.toContain('appid');
    expect(credentialQuery({ auth: key })).toEqual({ appid: 'k+y/canary 2' });
    const { seen } = await sendWith(auth, withQuery(url, credentialQuery({ auth: key })));
    expect(`${seen.url.pathname}${seen.url.search}`).toBe('/v1/items?status=active&appid=k%2By%2Fcanary+2');
    expect(seen.url.searchParams.get('appid')).toBe('k+y/canary 2');
    expect(Object.keys(seen.headers)).not.toContain('authorization');
    expect(secrets.redact(`${url} ${key.value}`)).not.toMatch(/canary/);
    auth.close();
    expect(secrets.size).toBe(0);
  });
});

describe('credentialsFromEnv', () => {
  it('reads INGEST_USERNAME / INGEST_PASSWORD', () => {
    expect(credentialsFromEnv({ INGEST_USERNAME: 'demo', INGEST_PASSWORD: 'demo-password' })).toEqual({
      username: 'demo',
      password: 'demo-password',
    });
    expect(credentialsFromEnv({})).toBeUndefined();
    expect(credentialsFromEnv({ INGEST_USERNAME: '', INGEST_PASSWORD: '' })).toBeUndefined();
  });

  it('refuses half a pair, naming the missing variable and never the value', () => {
    expect(() => credentialsFromEnv({ INGEST_PASSWORD: 'pw-canary-1' })).toThrow(ConfigError);
    try {
      credentialsFromEnv({ INGEST_PASSWORD: 'pw-canary-1' });
    } catch (error: unknown) {
      expect((error as ConfigError).problems).toEqual(['INGEST_USERNAME is not set, but INGEST_PASSWORD is']);
      expect((error as ConfigError).message).not.toContain('pw-canary-1');
    }
    expect(() => credentialsFromEnv({ INGEST_USERNAME: 'demo' })).toThrow(/INGEST_PASSWORD is not set/);
  });
});
