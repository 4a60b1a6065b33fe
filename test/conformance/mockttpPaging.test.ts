import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLocal, type CompletedRequest, type Mockttp } from 'mockttp';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceSpecInput } from '../../src/index.js';
import { spawnCli } from '../e2e/support/cliProcess.js';
import { startLake, type Lake } from '../e2e/support/e2eEnv.js';
import { s3Env, sourceRunArgs } from '../e2e/support/sourceCli.js';
import { oneTo } from '../e2e/support/deliveredObject.js';
import { deliveredResource } from './support/deliveredResource.js';

// Two mockttp servers script a Django-REST-style API ({ count, next, previous, results }, `next` a
// full URL, the later pages on another origin) and bare arrays whose next cursor is a header.

let lake: Lake | undefined;
const servers: Mockttp[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await lake?.close();
  lake = undefined;
});

const TOKEN = 'tok-conformance-5d2e';
const ARTICLES = 23;
const EVENTS = 17;
const PAGE_SIZE = 5;
/** Pages 1..3 on the API's origin; the third's `next` leads to the archive, which serves the rest. */
const HOME_PAGES = 3;

async function started(): Promise<{ server: Mockttp; origin: string }> {
  const server = getLocal();
  // Port 0: the system picks a free one (mockttp would otherwise probe upwards from 8000).
  await server.start(0);
  servers.push(server);
  return { server, origin: `http://127.0.0.1:${server.port}` };
}

const articles = (page: number, size: number) =>
  oneTo(ARTICLES)
    .slice((page - 1) * size, page * size)
    .map((id) => ({ id, headline: `article ${id}` }));

describe('conformance: mockttp (next URLs across origins, a cursor in a header)', () => {
  it('follows next URLs to a followed host without credentials or headers, and header cursors to the end', async () => {
    const [home, archive] = await Promise.all([started(), started()]);
    lake = await startLake();
    /** What each origin received: path and query, and the two headers that must stay home. */
    const seen: { origin: 'home' | 'archive'; url: string; authorization?: string; version?: string }[] = [];
    const note = (origin: 'home' | 'archive', request: CompletedRequest): void => {
      const url = new URL(request.url);
      seen.push({
        origin,
        url: `${url.pathname}${url.search}`,
        ...(request.headers['authorization'] ? { authorization: String(request.headers['authorization']) } : {}),
        ...(request.headers['x-api-version'] ? { version: String(request.headers['x-api-version']) } : {}),
      });
    };
    const page = (request: CompletedRequest, origin: string) => {
      const url = new URL(request.url);
      const number = Number(url.searchParams.get('page') ?? 1);
      const size = Number(url.searchParams.get('page_size') ?? 10);
      const last = Math.ceil(ARTICLES / size);
      const nextOrigin = number + 1 > HOME_PAGES ? archive.origin : origin;
      return {
        json: {
          count: ARTICLES,
          next: number < last ? `${nextOrigin}/api/articles/?page=${number + 1}&page_size=${size}` : null,
          previous: number > 1 ? `${origin}/api/articles/?page=${number - 1}&page_size=${size}` : null,
          results: articles(number, size),
        },
      };
    };
    await home.server.forGet('/api/articles/').thenCallback((request) => {
      note('home', request);
      if (request.headers['authorization'] !== `Bearer ${TOKEN}` || request.headers['x-api-version'] !== '2')
        return { statusCode: 400, json: { detail: 'credentials or version header missing' } };
      return page(request, home.origin);
    });
    await archive.server.forGet('/api/articles/').thenCallback((request) => {
      note('archive', request);
      return page(request, archive.origin);
    });
    await home.server.forGet('/api/events').thenCallback((request) => {
      note('home', request);
      const after = Number(new URL(request.url).searchParams.get('page_token') ?? 0);
      const to = Math.min(EVENTS, after + PAGE_SIZE);
      const events = oneTo(EVENTS)
        .slice(after, to)
        .map((id) => ({ id, kind: id % 2 === 0 ? 'push' : 'pull' }));
      return { json: events, headers: to < EVENTS ? { 'X-Next-Page-Token': String(to) } : {} };
    });

    const spec: SourceSpecInput = {
      name: 'press',
      api: {
        baseUrl: `${home.origin}/api`,
        headers: { 'X-Api-Version': '2' },
        auth: { type: 'bearer', token: '${env:PRESS_TOKEN}' },
        followHosts: [`127.0.0.1:${archive.server.port}`],
      },
      resources: [
        {
          name: 'articles',
          path: '/articles/',
          records: 'results',
          paginator: { type: 'nextUrl', nextUrlPath: 'next', sizeParam: 'page_size', pageSize: PAGE_SIZE },
        },
        {
          name: 'events',
          path: '/events',
          records: '$',
          paginator: { type: 'cursor', cursorParam: 'page_token', nextCursorHeader: 'X-Next-Page-Token', pageSize: PAGE_SIZE },
        },
      ],
    };
    const file = join(lake.dataDir, 'press.source.yaml');
    await writeFile(file, JSON.stringify(spec, null, 2));
    const cli = spawnCli(sourceRunArgs(lake, file, 'press-1'), { ...s3Env(lake), PRESS_TOKEN: TOKEN });
    expect(await cli.exited, cli.stderr()).toBe(0);

    const delivered = await deliveredResource(lake, 'articles');
    expect(delivered.ids).toEqual(oneTo(ARTICLES));
    expect(delivered.report.records).toMatchObject({ received: ARTICLES, unique: ARTICLES, duplicates: 0 });
    expect(delivered.report.output?.rows).toBe(ARTICLES);
    const articleRequests = seen.filter((s) => s.url.startsWith('/api/articles/'));
    const pages = Math.ceil(ARTICLES / PAGE_SIZE);
    // The first page by its size parameter; then the server's own next URLs, as given.
    expect(articleRequests.map((s) => `${s.origin} ${s.url}`)).toEqual([
      `home /api/articles/?page_size=${PAGE_SIZE}`,
      ...oneTo(pages)
        .slice(1)
        .map((n) => `${n > HOME_PAGES ? 'archive' : 'home'} /api/articles/?page=${n}&page_size=${PAGE_SIZE}`),
    ]);
    // Credentials and the configured header went to the API's origin only.
    expect(articleRequests.map((r) => [r.origin, r.authorization ?? null, r.version ?? null])).toEqual(
      articleRequests.map((r) => (r.origin === 'home' ? ['home', `Bearer ${TOKEN}`, '2'] : ['archive', null, null])),
    );

    const events = await deliveredResource(lake, 'events');
    expect(events.ids).toEqual(oneTo(EVENTS));
    expect(events.report.records).toMatchObject({ received: EVENTS, unique: EVENTS, duplicates: 0 });
    expect(seen.filter((s) => s.url.startsWith('/api/events')).map((s) => s.url)).toEqual([
      `/api/events?limit=${PAGE_SIZE}`,
      ...oneTo(Math.ceil(EVENTS / PAGE_SIZE) - 1).map((n) => `/api/events?page_token=${n * PAGE_SIZE}&limit=${PAGE_SIZE}`),
    ]);
    expect(`${cli.stdout()}${cli.stderr()}`).not.toContain(TOKEN);
  });
});
