import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi, type ApiAnswer, type ApiRequest, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startLake, type Lake } from './support/e2eEnv.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

let api: RunningHttpApi | undefined;
let lake: Lake | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const TOKEN = 'tok-paginators-9c1';
const records = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => ({ id: from + i, name: `r${from + i}` }));
const n = (url: URL, name: string, fallback = 0): number => Number(url.searchParams.get(name) ?? fallback);

/** Totals per resource; each paginator's own end signal. */
const TOTAL = { pages0: 30, offsets: 29, cursors: 23, links: 20, nexturls: 12, single: 9 } as const;

/** One API paging each resource its own way; it checks the token and the tenant header on every request. */
function route({ url, headers }: ApiRequest, origin: string): ApiAnswer {
  if (headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { error: 'unauthorized' } };
  if (headers['x-tenant'] !== 'acme') return { status: 400, body: { error: 'tenant header missing' } };
  switch (url.pathname) {
    case '/pages0': {
      const p = n(url, 'p');
      const size = n(url, 'per_page');
      return {
        body: { items: records(p * size + 1, Math.min(TOTAL.pages0, (p + 1) * size)), meta: { pages: Math.ceil(TOTAL.pages0 / size) } },
      };
    }
    case '/offsets': {
      const skip = n(url, 'skip');
      return { body: { rows: records(skip + 1, Math.min(TOTAL.offsets, skip + n(url, 'take'))), total: TOTAL.offsets } };
    }
    case '/cursors': {
      const after = n(url, 'after');
      const to = Math.min(TOTAL.cursors, after + n(url, 'limit'));
      return { body: { data: records(after + 1, to) }, headers: to < TOTAL.cursors ? { 'x-next-cursor': String(to) } : {} };
    }
    case '/links': {
      const page = n(url, 'page', 1);
      const size = n(url, 'limit');
      const last = Math.ceil(TOTAL.links / size);
      const link =
        page < last ? { link: `<${origin}/links?page=${page + 1}&limit=${size}>; rel="next", <${origin}/links?page=1>; rel="first"` } : {};
      return { body: records((page - 1) * size + 1, Math.min(TOTAL.links, page * size)), headers: link };
    }
    case '/nexturls': {
      const page = n(url, 'page', 1);
      return { body: { results: records(page * 4 - 3, page * 4), paging: { next: page < 3 ? `/nexturls?page=${page + 1}` : null } } };
    }
    case '/single':
      return url.searchParams.get('region') === 'eu' && headers['x-extra'] === '1'
        ? { body: records(1, TOTAL.single) }
        : { status: 400, body: { error: 'region or x-extra missing' } };
    default:
      return { status: 404, body: { error: 'not found' } };
  }
}

const source = (baseUrl: string) => ({
  name: 'shapes',
  api: { baseUrl, headers: { 'X-Tenant': 'acme' }, auth: { type: 'bearer', token: '${env:SHAPES_TOKEN}' } },
  resources: [
    {
      name: 'pages0',
      path: '/pages0',
      records: 'items',
      paginator: { type: 'page', pageParam: 'p', firstPage: 0, sizeParam: 'per_page', pageSize: 7, totalPagesPath: 'meta.pages' },
    },
    {
      name: 'offsets',
      path: '/offsets',
      records: 'rows',
      paginator: { type: 'offset', offsetParam: 'skip', sizeParam: 'take', pageSize: 8, totalPath: 'total' },
    },
    {
      name: 'cursors',
      path: '/cursors',
      records: 'data',
      paginator: { type: 'cursor', cursorParam: 'after', pageSize: 5, nextCursorHeader: 'X-Next-Cursor' },
    },
    { name: 'links', path: '/links', records: '$', paginator: { type: 'link', pageSize: 6 } },
    { name: 'nexturls', path: '/nexturls', records: 'results', paginator: { type: 'nextUrl', nextUrlPath: 'paging.next' } },
    { name: 'single', path: '/single', records: '$', params: { region: 'eu' }, headers: { 'X-Extra': '1' }, paginator: { type: 'single' } },
  ],
});

describe('every paginator through ingest run --source, several resources in one run', () => {
  it('each resource lands in its own object, every id exactly once; headers, params and the token go to every request', async () => {
    api = await startHttpApi(route);
    lake = await startLake();
    const file = join(lake.dataDir, 'shapes.source.json');
    await writeFile(file, JSON.stringify(source(api.url)));
    const cli = spawnCli([...sourceRunArgs(lake, file, 'shapes-1'), '--format', 'ndjson', '--rate-limit', '200'], {
      SHAPES_TOKEN: TOKEN,
      ...s3Env(lake),
    });
    expect(await cli.exited, cli.stderr()).toBe(0);
    const { client } = lake;
    for (const [name, total] of Object.entries(TOTAL)) {
      const keys = await listKeys(client, 'lake', `${name}/`);
      expect(keys, name).toEqual([`${name}/ingest_date=${INGEST_DATE}/${name}_shapes-1.ndjson`]);
      const object = await readDelivered(client, 'lake', keys[0]!, 'ndjson');
      expect(
        object.rows.map(idOf).sort((a, b) => a - b),
        name,
      ).toEqual(records(1, total).map((r) => r.id));
    }
    // Nothing was refused: the token and tenant header on every request, X-Extra only where declared.
    expect(api.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && r.headers['x-tenant'] === 'acme')).toBe(true);
    expect(api.requests.filter((r) => r.headers['x-extra'] !== undefined).map((r) => r.url.pathname)).toEqual(['/single']);
    expect(cli.stdout() + cli.stderr()).not.toContain(TOKEN);
  });

  it('a Link to another origin fails that resource, naming it; the other resources are delivered', async () => {
    api = await startHttpApi((request, origin) => {
      const answer = route(request, origin);
      // The API's own links point at a host that is not the API: credentials must not follow them.
      const link = answer.headers?.['link']?.replaceAll(origin, 'http://localhost:1');
      return link === undefined ? answer : { ...answer, headers: { link } };
    });
    lake = await startLake();
    const file = join(lake.dataDir, 'shapes.source.json');
    const spec = source(api.url);
    await writeFile(file, JSON.stringify({ ...spec, resources: spec.resources.filter((r) => r.name === 'links' || r.name === 'single') }));
    const cli = spawnCli([...sourceRunArgs(lake, file, 'shapes-2'), '--format', 'ndjson', '--rate-limit', '200'], {
      SHAPES_TOKEN: TOKEN,
      ...s3Env(lake),
    });
    expect(await cli.exited).not.toBe(0);
    expect(cli.stderr()).toMatch(/links: .*another origin \(http:\/\/localhost:1/);
    expect(cli.stderr()).toMatch(/1 of 2 resources did not succeed: links/);
    const { client } = lake;
    expect(await listKeys(client, 'lake', 'single/')).toHaveLength(1);
    expect(await listKeys(client, 'lake', 'links/')).toEqual([]);
    expect(api.requests.filter((r) => r.url.pathname === '/links')).toHaveLength(1);
  });
});
