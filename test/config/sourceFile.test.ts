import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunConfig, resolveRunOptions } from '../../src/config/loadRunConfig.js';
import { problemsOf } from '../support/problemsOf.js';
import { customerSchema } from '../../src/simulator/simulatorSchemas.js';

const now = new Date('2026-11-28T10:00:00Z');
const SIMULATOR_SOURCE = new URL('../../examples/simulator.source.yaml', import.meta.url).pathname;

async function sourceFile(text: string, name = 'shop.source.yaml'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-source-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('the source file', () => {
  it('reads the worked example: two resources, defaults applied, the password from its reference and kept as a secret', async () => {
    const run = await loadRunConfig({
      flags: { source: SIMULATOR_SOURCE, bucket: 'lake' },
      env: { SIMULATOR_PASSWORD: 'pw-from-env' },
      now,
    });
    expect(run.runId).toBe('simulator-2026-11-28');
    expect(run.api.auth).toEqual({
      type: 'login',
      path: '/login',
      body: { username: 'demo', password: 'pw-from-env' },
      tokenPath: 'access_token',
      expiresInPath: 'expires_in',
      scheme: 'Bearer',
    });
    expect(run.secrets).toContain('pw-from-env');
    const [customers, orders] = run.resources;
    expect(customers).toMatchObject({ name: 'customers', path: '/customers', records: 'data', primaryKey: 'id' });
    expect(customers?.headers).toEqual({ Accept: 'application/json' });
    expect(customers?.paginator).toMatchObject({ type: 'page', pageParam: 'page', firstPage: 1, pageSize: 1000 });
    // The example declares the simulator's own schema: the two are kept equal here.
    expect(Object.fromEntries(Object.entries(customers!.schema).map(([k, v]) => [k, v.type]))).toEqual(customerSchema);
    expect(customers?.schema['id']).toEqual({ type: 'integer', required: true });
    expect(orders?.paginator).toEqual({
      type: 'cursor',
      cursorParam: 'cursor',
      sizeParam: 'limit',
      pageSize: 500,
      nextCursorPath: 'metadata.next_cursor',
    });
  });

  it('takes JSON too, and the same object from the library; a run of one resource is named by its date', async () => {
    const source = {
      api: { baseUrl: 'http://127.0.0.1:9/v2', auth: { type: 'bearer', token: 'literal-is-fine-in-code' } },
      resources: [{ name: 'items', path: '/items', records: '$', paginator: { type: 'single' }, params: { status: 'active', n: 3 } }],
    } as const;
    const fromFile = await loadRunConfig({
      flags: { source: await sourceFile(JSON.stringify({ ...source, api: { baseUrl: source.api.baseUrl } }), 'x.json'), bucket: 'lake' },
      env: {},
      now,
    });
    expect(fromFile.resources[0]).toMatchObject({ name: 'items', records: '$', params: { status: 'active', n: '3' } });
    const fromCode = await resolveRunOptions({ source, bucket: 'lake' }, now, {});
    expect(fromCode.runId).toBe('2026-11-28');
    expect(fromCode.secrets).toEqual([]);
    expect(fromCode.api.auth).toEqual({ type: 'bearer', token: 'literal-is-fine-in-code' });
  });

  it('lists every problem at once, by path, never quoting a value', async () => {
    const path = await sourceFile(`
api:
  baseUrl: ftp://example.com
  auth: { type: apiKey, value: sk-live-1234567890 }
resources:
  - name: a
    path: /a?x=1
    paginator: { type: cursor }
  - name: a
    path: /b
    paginator: { type: pages }
`);
    const problems = await problemsOf(
      loadRunConfig({ flags: { source: path, bucket: 'lake', endpoint: '/other', username: 'u' }, env: {}, now }),
    );
    const text = problems.join('\n');
    expect(text).toContain('api.auth.value: a credential is written in the source file; use "${env:NAME}" or "${file:PATH}"');
    expect(text).toMatch(/source\.api\.baseUrl: expected an http\(s\) URL/);
    expect(text).toMatch(/source\.resources\.0\.path: expected a path starting with "\/", without a query/);
    expect(text).toMatch(/source\.resources\.0\.paginator: a cursor paginator needs exactly one of nextCursorPath and nextCursorHeader/);
    expect(text).toMatch(/source\.resources\.1\.paginator\.type: /);
    expect(text).toContain('endpoint, username: not with a source file; describe the API in the source file instead');
    expect(text).not.toContain('sk-live-1234567890');
  });

  it('checks the auth types: a header name for a key in a header, a URL or path for an OAuth 2.0 token URL, a known client auth', async () => {
    const withAuth = (auth: unknown) =>
      resolveRunOptions(
        {
          bucket: 'lake',
          source: {
            api: { baseUrl: 'http://api.test', auth },
            resources: [{ name: 'a', path: '/a', records: '$', paginator: { type: 'single' } }],
          },
        },
        now,
        {},
      );
    expect(await problemsOf(withAuth({ type: 'apiKey', name: 'X API Key', value: 'k' }))).toEqual([
      'source.api.auth.name: expected an HTTP header name (in: header) or a query parameter name (in: query)',
    ]);
    expect(await problemsOf(withAuth({ type: 'apiKey', in: 'query', name: 'api key', value: 'k' }))).toHaveLength(1);
    expect((await withAuth({ type: 'apiKey', in: 'query', name: 'api_key', value: 'k' })).api.auth).toMatchObject({ name: 'api_key' });
    const oauth = { type: 'oauth2', clientId: 'c', clientSecret: 's' };
    expect(await problemsOf(withAuth({ ...oauth, tokenUrl: 'oauth/token', clientAuth: 'jwt' }))).toEqual([
      'source.api.auth.tokenUrl: expected an absolute http(s) URL or a path starting with "/"',
      expect.stringMatching(/^source\.api\.auth\.clientAuth: /),
    ]);
    const run = await withAuth({ ...oauth, tokenUrl: 'https://id.test/token' });
    expect(run.api.auth).toEqual({ ...oauth, tokenUrl: 'https://id.test/token', clientAuth: 'basic' });
  });

  it('names a missing reference, a missing records path or paginator, and an unreadable file', async () => {
    const path = await sourceFile(`
api:
  baseUrl: https://api.example.com
  auth: { type: basic, username: me, password: "\${env:NOT_SET_ANYWHERE}" }
resources:
  - { name: a, path: /a }
  - { name: a, path: /b, records: $, paginator: { type: single } }
`);
    const problems = await problemsOf(loadRunConfig({ flags: { source: path, bucket: 'lake' }, env: {}, now }));
    expect(problems).toContain('api.auth.password: environment variable NOT_SET_ANYWHERE is not set');
    expect(problems).toContain('resources: names must be unique (a repeated)');
    expect(problems).toContain(
      'resources.0 (a): no "records" path (set it on the resource or in "defaults"; "$" when the body is the array)',
    );
    expect(problems).toContain(
      'resources.0 (a): no "paginator" (set it on the resource or in "defaults"; { type: single } for one request)',
    );
    const missing = await problemsOf(loadRunConfig({ flags: { source: '/nonexistent/x.yaml', bucket: 'lake' }, env: {}, now }));
    expect(missing).toEqual(['source: cannot read /nonexistent/x.yaml']);
    const broken = await problemsOf(loadRunConfig({ flags: { source: await sourceFile('api: [unclosed'), bucket: 'lake' }, env: {}, now }));
    expect(broken[0]).toMatch(/^source: .* is not valid YAML or JSON/);
  });

  it('reads a secret from a file reference, trimmed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-secret-'));
    await writeFile(join(dir, 'token'), 'tok-from-file\n');
    const path = await sourceFile(`
api: { baseUrl: "https://api.example.com", auth: { type: bearer, token: "\${file:${join(dir, 'token')}}" } }
defaults: { records: items, paginator: { type: link } }
resources: [{ name: a, path: /a }, { name: b, path: /b, primaryKey: uid }]
`);
    const run = await loadRunConfig({ flags: { source: path, bucket: 'lake' }, env: {}, now });
    expect(run.api.auth).toEqual({ type: 'bearer', token: 'tok-from-file' });
    expect(run.secrets).toEqual(['tok-from-file']);
    expect(run.runId).toBe('shop-2026-11-28');
    expect(run.resources.map((r) => [r.name, r.primaryKey, r.paginator.type])).toEqual([
      ['a', 'id', 'link'],
      ['b', 'uid', 'link'],
    ]);
  });

  it('turns the flags into the one-resource source they stand for', async () => {
    const run = await loadRunConfig({
      flags: {
        apiUrl: 'http://127.0.0.1:8080',
        endpoint: '/v1/orders?status=open',
        pagination: 'cursor',
        pageSize: '50',
        bucket: 'lake',
        auth: 'none',
        schema: '{"id":"integer"}',
      },
      env: {},
      now,
    });
    expect(run.resources).toEqual([
      {
        name: 'orders',
        path: '/v1/orders',
        params: { status: 'open' },
        headers: {},
        records: 'data',
        primaryKey: 'id',
        paginator: { type: 'cursor', cursorParam: 'cursor', sizeParam: 'limit', pageSize: 50, nextCursorPath: 'metadata.next_cursor' },
        schema: { id: { type: 'integer', required: false } },
      },
    ]);
  });
});
