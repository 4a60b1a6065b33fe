import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthSpecInput } from '../../src/config/sourceSpec.js';
import { startHttpApi, type ApiAnswer, type ApiRequest, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { getObjectBytes, idOf, listKeys, readDelivered, oneTo } from './support/deliveredObject.js';
import { INGEST_DATE, startLake, type Lake } from './support/e2eEnv.js';
import { filesUnder } from './support/filesUnder.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

// Every auth type of a source file through `ingest run --source FILE`, against a real HTTP API
// that checks the credential on every page and pages by offset; the delivered object is read back
// from s3rver. (The e2e environment's simulator is not used: this API is the test's own.)

let lake: Lake | undefined;
let api: RunningHttpApi | undefined;
afterEach(async () => {
  await lake?.close();
  await api?.close();
  lake = undefined;
  api = undefined;
});

const RECORDS = 230;

interface ApiOptions {
  /** Records per resource path. */
  readonly resources?: Readonly<Record<string, number>>;
  /** Whether a page request carries the right credential; otherwise 401. */
  readonly accepts: (request: ApiRequest) => boolean;
  /** ApiAnswers the POSTs (logins, token requests). */
  readonly token?: (request: ApiRequest) => ApiAnswer;
}

/** An API paging by `offset`/`limit`, `{ items, total }`, every page request checked by `accepts`. */
function pagedApi({ resources = { '/items': RECORDS }, accepts, token }: ApiOptions): (request: ApiRequest) => ApiAnswer {
  return (request) => {
    if (request.method === 'POST') return token?.(request) ?? { status: 404 };
    const { url } = request;
    const total = resources[url.pathname];
    if (total === undefined) return { status: 404, body: { error: 'not found' } };
    if (!accepts(request)) return { status: 401, body: { error: 'unauthorized' } };
    const offset = Number(url.searchParams.get('offset') ?? '0');
    const limit = Number(url.searchParams.get('limit') ?? '100');
    const ids = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i + 1);
    return { body: { items: ids.map((id) => ({ id, name: `item ${id}`, price: id / 4, updated_at: '2026-01-01T00:00:00Z' })), total } };
  };
}

const pageRequests = (server: RunningHttpApi): ApiRequest[] => server.requests.filter((r) => r.method === 'GET');

/** A one-resource source (`/items`, offset paging) with `auth`, written to the data directory. */
async function writeSource(e: Lake, baseUrl: string, auth: AuthSpecInput): Promise<string> {
  const path = join(e.dataDir, 'api.source.yaml');
  await writeFile(
    path,
    [
      'api:',
      `  baseUrl: ${baseUrl}`,
      `  auth: ${JSON.stringify(auth)}`,
      'resources:',
      '  - name: items',
      '    path: /items',
      '    records: items',
      '    paginator: { type: offset, pageSize: 25, totalPath: total }',
      '',
    ].join('\n'),
  );
  return path;
}

function runArgs(e: Lake, source: string, runId: string, logLevel = 'warn'): string[] {
  return [...sourceRunArgs(e, source, runId, { logLevel }), '--format', 'ndjson', '--rate-limit', '200'];
}

const cliEnv = (e: Lake, secrets: Readonly<Record<string, string>>): Record<string, string> => ({ ...s3Env(e), ...secrets });

/** The ids of the one object delivered for `dataset` (found by prefix, not by a key spelled here), sorted. */
async function deliveredIds(e: Lake, dataset: string): Promise<number[]> {
  const keys = await listKeys(e.client, 'lake', `${dataset}/ingest_date=${INGEST_DATE}/`);
  expect(keys).toHaveLength(1);
  const object = await readDelivered(e.client, 'lake', keys[0]!, 'ndjson');
  return object.rows.map(idOf).sort((a, b) => a - b);
}

/** Runs the source through the CLI and expects every record delivered exactly once. */
async function runAndDeliver(e: Lake, source: string, secrets: Readonly<Record<string, string>>, logLevel = 'warn') {
  const cli = spawnCli(runArgs(e, source, 'auth-1', logLevel), cliEnv(e, secrets));
  expect(await cli.exited, cli.stderr()).toBe(0);
  expect(await deliveredIds(e, 'items')).toEqual(oneTo(RECORDS));
  return cli;
}

/** The canary is in no output of the run: stdout, stderr, any file under the data dir (logs, staging, reports), any object. */
async function expectNowhere(e: Lake, canary: string, output: string): Promise<void> {
  expect(output).not.toContain(canary);
  const files = await filesUnder(e.dataDir);
  expect(files.some((f) => f.name.endsWith('.log') || f.name.includes('logs'))).toBe(true);
  for (const file of files.filter((f) => !f.name.endsWith('.source.yaml'))) expect(file.bytes.includes(canary), file.name).toBe(false);
  const keys = await listKeys(e.client, 'lake');
  expect(keys.some((k) => k.includes('_reports/'))).toBe(true);
  for (const key of keys) {
    expect(key).not.toContain(canary);
    expect((await getObjectBytes(e.client, 'lake', key)).includes(canary), key).toBe(false);
  }
}

describe('auth types through ingest run --source', () => {
  it('bearer: the static token on every page', async () => {
    api = await startHttpApi(pagedApi({ accepts: (r) => r.headers['authorization'] === 'Bearer tok-canary-b1' }));
    lake = await startLake();
    const source = await writeSource(lake, api.url, { type: 'bearer', token: '${env:API_TOKEN}' });
    await runAndDeliver(lake, source, { API_TOKEN: 'tok-canary-b1' });
    expect(pageRequests(api).length).toBeGreaterThanOrEqual(RECORDS / 25);
  });

  it('basic: user:password in Authorization: Basic, decoded back by the server; the password is in no output', async () => {
    const password = 'pw-canary-b2:é';
    api = await startHttpApi(
      pagedApi({
        accepts: (r) => {
          const [scheme, encoded] = String(r.headers['authorization']).split(' ');
          return scheme === 'Basic' && Buffer.from(encoded ?? '', 'base64').toString('utf8') === `reader:${password}`;
        },
      }),
    );
    lake = await startLake();
    const source = await writeSource(lake, api.url, { type: 'basic', username: 'reader', password: '${env:API_PASSWORD}' });
    const cli = await runAndDeliver(lake, source, { API_PASSWORD: password }, 'debug');
    await expectNowhere(lake, 'pw-canary-b2', `${cli.stdout()}${cli.stderr()}`);
  });

  it('apiKey in a header: the key in X-API-Key (not in Authorization), and in no output', async () => {
    const key = 'key-canary-h3';
    api = await startHttpApi(pagedApi({ accepts: (r) => r.headers['x-api-key'] === key && r.headers['authorization'] === undefined }));
    lake = await startLake();
    const source = await writeSource(lake, api.url, { type: 'apiKey', value: '${env:API_KEY}' });
    const cli = await runAndDeliver(lake, source, { API_KEY: key }, 'debug');
    await expectNowhere(lake, key, `${cli.stdout()}${cli.stderr()}`);
  });

  it('apiKey in the query: on every page request, and never in the logs, the report, the staging file or the delivered object', async () => {
    const key = 'key-canary-q4';
    api = await startHttpApi(pagedApi({ accepts: (r) => r.url.searchParams.get('appid') === key }));
    lake = await startLake();
    // `appid` is no name the URL redactor knows: the key is kept out by the registry and by never entering the params.
    const source = await writeSource(lake, api.url, { type: 'apiKey', in: 'query', name: 'appid', value: '${env:API_KEY}' });
    const cli = await runAndDeliver(lake, source, { API_KEY: key }, 'debug');
    expect(pageRequests(api).every((r) => r.url.searchParams.get('appid') === key)).toBe(true);
    expect(Object.keys(api.requests[0]!.headers)).not.toContain('authorization');
    await expectNowhere(lake, key, `${cli.stdout()}${cli.stderr()}`);
    // A rerun with a rotated key is the same run (the key is no run option): it finds the object delivered.
    const rerun = spawnCli(runArgs(lake, source, 'auth-1'), cliEnv(lake, { API_KEY: 'key-rotated-q4' }));
    expect(await rerun.exited, rerun.stderr()).toBe(0);
    expect(rerun.stdout()).toMatch(/already delivered/);
  });

  it('apiKey in the query: an error that names the URL names it without the key', async () => {
    const key = 'key-canary-q9';
    api = await startHttpApi((request) => {
      const url = request.url;
      if (url.searchParams.get('offset') === '50') return { status: 429, headers: { 'retry-after': '3600' }, body: { error: 'slow down' } };
      return pagedApi({ accepts: () => url.searchParams.get('appid') === key })(request);
    });
    lake = await startLake();
    const source = await writeSource(lake, api.url, { type: 'apiKey', in: 'query', name: 'appid', value: '${env:API_KEY}' });
    const cli = spawnCli(runArgs(lake, source, 'auth-1', 'debug'), cliEnv(lake, { API_KEY: key }));
    expect(await cli.exited).toBe(1);
    // The URL it names never holds the key: the key is added only as a request is sent.
    expect(cli.stderr()).toMatch(/\/items asks to wait 3600 s/);
    expect(cli.stderr()).not.toMatch(/appid/);
    await expectNowhere(lake, key, `${cli.stdout()}${cli.stderr()}`);
  });

  it('login: any JSON body, the token at tokenPath with a scheme, used until a 401, then one login more', async () => {
    let issued = 0;
    let pagesWithFirst = 0;
    api = await startHttpApi(
      pagedApi({
        token: (r) => {
          const body = JSON.parse(r.body) as { auth?: { user?: string; passphrase?: string } };
          if (r.url.pathname !== '/v1/sessions' || body.auth?.user !== 'reader' || body.auth.passphrase !== 'pp-canary-l5')
            return { status: 401 };
          return { status: 201, body: { result: { session: `sess-${++issued}` } } };
        },
        // The first session is revoked after 3 pages: the second is good to the end.
        accepts: (r) => {
          if (r.headers['authorization'] === 'Session sess-1') return ++pagesWithFirst <= 3;
          return r.headers['authorization'] === 'Session sess-2';
        },
        resources: { '/v1/items': RECORDS },
      }),
    );
    lake = await startLake();
    const source = await writeSource(lake, `${api.url}/v1`, {
      type: 'login',
      path: '/sessions',
      body: { auth: { user: 'reader', passphrase: '${env:API_PASSPHRASE}' }, client: 'ingest' },
      tokenPath: 'result.session',
      scheme: 'Session',
    });
    const cli = await runAndDeliver(lake, source, { API_PASSPHRASE: 'pp-canary-l5' }, 'debug');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    await expectNowhere(lake, 'pp-canary-l5', `${cli.stdout()}${cli.stderr()}`);
    await expectNowhere(lake, 'sess-2', '');
  });

  it('oauth2: client credentials with HTTP Basic client auth and a scope; the bearer token on every page', async () => {
    const basic = `Basic ${Buffer.from('ingest-client:cs-canary-o6').toString('base64')}`;
    api = await startHttpApi(
      pagedApi({
        token: (r) => {
          const form = new URLSearchParams(r.body);
          const ok =
            r.url.pathname === '/oauth/token' &&
            r.headers['authorization'] === basic &&
            r.headers['content-type'] === 'application/x-www-form-urlencoded' &&
            form.get('grant_type') === 'client_credentials' &&
            form.get('scope') === 'items:read';
          return ok
            ? { body: { access_token: 'at-canary-o6', token_type: 'Bearer', expires_in: 3600 } }
            : { status: 401, body: { error: 'invalid_client' } };
        },
        accepts: (r) => r.headers['authorization'] === 'Bearer at-canary-o6',
      }),
    );
    lake = await startLake();
    const source = await writeSource(lake, api.url, {
      type: 'oauth2',
      tokenUrl: '/oauth/token',
      clientId: 'ingest-client',
      clientSecret: '${env:CLIENT_SECRET}',
      scope: 'items:read',
    });
    const cli = await runAndDeliver(lake, source, { CLIENT_SECRET: 'cs-canary-o6' }, 'debug');
    expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    await expectNowhere(lake, 'cs-canary-o6', `${cli.stdout()}${cli.stderr()}`);
    await expectNowhere(lake, 'at-canary-o6', '');
  });

  it('a login redirected to another origin fails the run before any page, naming both origins; the other host gets nothing', async () => {
    const elsewhere = await startHttpApi(() => ({ body: { access_token: 'stolen', expires_in: 60 } }));
    try {
      api = await startHttpApi(
        pagedApi({ token: () => ({ status: 307, headers: { location: `${elsewhere.url}/login` } }), accepts: () => true }),
      );
      lake = await startLake();
      const source = await writeSource(lake, api.url, { type: 'login', body: { username: 'reader', password: '${env:API_PASSWORD}' } });
      const cli = spawnCli(runArgs(lake, source, 'auth-1'), cliEnv(lake, { API_PASSWORD: 'pw-canary-r7' }));
      expect(await cli.exited).not.toBe(0);
      expect(cli.stderr()).toContain(`from ${api.url} to ${elsewhere.url}`);
      expect(elsewhere.requests).toHaveLength(0);
      expect(pageRequests(api)).toHaveLength(0);
      await expectNowhere(lake, 'pw-canary-r7', `${cli.stdout()}${cli.stderr()}`);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('examples/api-key.source.yaml', () => {
  it('runs through the CLI against an API of its shape: both resources, every id once, the key in X-API-Key only', async () => {
    const key = 'key-canary-ex8';
    api = await startHttpApi(
      pagedApi({ resources: { '/v1/products': 1234, '/v1/categories': 42 }, accepts: (r) => r.headers['x-api-key'] === key }),
    );
    lake = await startLake();
    const text = await readFile(new URL('../../examples/api-key.source.yaml', import.meta.url), 'utf8');
    const source = join(lake.dataDir, 'api-key.source.yaml');
    await writeFile(source, text.replace('https://api.example.com/v1', `${api.url}/v1`));
    const cli = spawnCli(runArgs(lake, source, 'catalog-1'), cliEnv(lake, { CATALOG_API_KEY: key }));
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(await deliveredIds(lake, 'products')).toEqual(oneTo(1234));
    expect(await deliveredIds(lake, 'categories')).toEqual(oneTo(42));
    const categoryPages = pageRequests(api).filter((r) => r.url.pathname.startsWith('/v1/categories'));
    expect(categoryPages.every((r) => r.url.searchParams.get('include') === 'archived')).toBe(true);
    await expectNowhere(lake, key, `${cli.stdout()}${cli.stderr()}`);
  });
});
