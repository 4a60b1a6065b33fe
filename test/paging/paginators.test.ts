import { describe, expect, it } from 'vitest';
import { StaticBearerAuth } from '../../src/auth/staticAuth.js';
import { PagingError } from '../../src/paging/pagingError.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { SecretRegistry } from '../../src/logging/redaction.js';
import { ids } from './fakeApi.js';
import { range, runStream, stagedIds } from './streamHarness.js';

/** One request as the server saw it: its URL and the headers it carried. */
interface Seen {
  readonly url: URL;
  readonly headers: Headers;
}

type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };

/** A scripted server on any origin, recording what every request carried. */
function server(route: (url: URL) => Answer, clock: Clock): { fetch: Fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: Fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    seen.push({ url, headers: new Headers(init?.headers) });
    await clock.sleep(20, init?.signal ?? undefined);
    const { status = 200, body, headers } = route(url);
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  };
  return { fetch, seen };
}

const API = 'http://simulator.invalid';
const calm = { profile: 'calm', faultsOnLogin: false } as const;
const bearer = (): StaticBearerAuth & { logins: number } =>
  Object.assign(new StaticBearerAuth('tok-123', new SecretRegistry()), { logins: 0 });

function run(route: (url: URL) => Answer, options: Parameters<typeof runStream>[1]) {
  let recorded: ReturnType<typeof server> | undefined;
  const result = runStream(
    calm,
    { ...options, path: options.path ?? '/items' },
    {
      auth: bearer(),
      wrap: (_f, clock) => {
        recorded = server(route, clock);
        return recorded.fetch;
      },
    },
  );
  return result.then((r) => ({ ...r, seen: recorded?.seen ?? [] }));
}

describe('paginators', () => {
  it('page numbers counted from 0, no total: every page once, ending on the empty page', async () => {
    const r = await run(
      (url) => {
        const page = Number(url.searchParams.get('p'));
        return { body: { items: page < 5 ? ids(page * 10 + 1, page * 10 + 10) : [] } };
      },
      { paginator: { type: 'page', pageParam: 'p', firstPage: 0, sizeParam: 'per_page', pageSize: 10 }, records: 'items' },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(50));
    expect(r.seen.map((s) => s.url.search)).toEqual([0, 1, 2, 3, 4, 5].map((p) => `?p=${p}&per_page=10`));
  });

  it('without a page size, no size parameter is sent: the API pages by its own default', async () => {
    const r = await run(
      (url) => {
        const page = Number(url.searchParams.get('page'));
        return { body: page <= 2 ? ids(page * 3 - 2, page * 3) : [] };
      },
      { paginator: { type: 'page' }, records: '$' },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(6));
    expect(r.seen.every((s) => !s.url.searchParams.has('limit'))).toBe(true);
  });

  it('a cursor in a response header, sent back under its own parameter name', async () => {
    const r = await run(
      (url) => {
        const after = Number(url.searchParams.get('starting_after') ?? '0');
        const data = ids(after + 1, Math.min(after + 4, 10));
        return { body: { data }, headers: after + 4 < 10 ? { 'x-next-cursor': String(after + 4) } : {} };
      },
      {
        paginator: { type: 'cursor', cursorParam: 'starting_after', sizeParam: 'count', pageSize: 4, nextCursorHeader: 'X-Next-Cursor' },
        records: 'data',
      },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(10));
    expect(r.seen.map((s) => s.url.searchParams.get('starting_after'))).toEqual([null, '4', '8']);
  });

  it('a next URL in the body, relative or absolute, until it is null', async () => {
    const r = await run(
      (url) => {
        const n = Number(url.searchParams.get('n') ?? '1');
        const next = n === 3 ? null : n === 1 ? '/items?n=2' : `${API}/items?n=3`;
        return { body: { results: ids(n * 2 - 1, n * 2), paging: { next } } };
      },
      { paginator: { type: 'nextUrl', nextUrlPath: 'paging.next' }, records: 'results' },
    );
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(6));
    expect(r.staged.find((p) => p.page === 2)?.nextCursor).toBe(`${API}/items?n=3`);
  });

  it('single: one request, no paging parameters', async () => {
    const r = await run(() => ({ body: ids(1, 7) }), { paginator: { type: 'single' }, records: '$', path: '/items?region=eu' });
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(7));
    expect(r.seen.map((s) => s.url.search)).toEqual(['?region=eu']);
  });

  it('single resumes as done once its one page is committed', async () => {
    const r = await run(() => ({ body: ids(1, 7) }), { paginator: { type: 'single' }, records: '$', resume: { committedPages: [1] } });
    expect(r.error).toBeUndefined();
    expect(r.seen).toHaveLength(0);
  });
});

describe('credentials stay with the API', () => {
  const headers = { 'X-Tenant': 'acme' };
  const linkTo =
    (next: string) =>
    (url: URL): Answer =>
      url.origin === API ? { body: ids(1, 2), headers: { link: `<${next}>; rel="next"` } } : { body: ids(3, 4) };

  it('the configured headers and the credentials go with every request to the API', async () => {
    const r = await run(() => ({ body: ids(1, 1) }), { paginator: { type: 'single' }, records: '$', headers });
    expect(r.seen[0]!.headers.get('x-tenant')).toBe('acme');
    expect(r.seen[0]!.headers.get('authorization')).toBe('Bearer tok-123');
  });

  it('a Link to another host is refused, naming both origins; nothing is sent there', async () => {
    const r = await run(linkTo('http://other.invalid/items?page=2'), { paginator: { type: 'link' }, records: '$', headers });
    expect(r.error).toBeInstanceOf(PagingError);
    expect(String(r.error)).toMatch(/another origin \(http:\/\/other\.invalid; the API is http:\/\/simulator\.invalid\).*api\.followHosts/);
    expect(r.seen.map((s) => s.url.origin)).toEqual([API]);
    expect(stagedIds(r.staged)).toEqual([1, 2]);
  });

  it('another scheme or port on the same host is another origin', async () => {
    for (const next of ['https://simulator.invalid/items?n=2', 'http://simulator.invalid:8081/items?n=2']) {
      const r = await run(linkTo(next), { paginator: { type: 'link' }, records: '$' });
      expect(r.error, next).toBeInstanceOf(PagingError);
      expect(r.seen).toHaveLength(1);
    }
  });

  it('a host in followHosts is followed without credentials or headers', async () => {
    const r = await run(linkTo('http://cdn.invalid/items?page=2'), {
      paginator: { type: 'link' },
      records: '$',
      headers,
      followHosts: ['cdn.invalid'],
    });
    expect(r.error).toBeUndefined();
    expect(stagedIds(r.staged)).toEqual(range(4));
    const offsite = r.seen.find((s) => s.url.origin === 'http://cdn.invalid')!;
    expect(offsite.headers.get('authorization')).toBeNull();
    expect(offsite.headers.get('x-tenant')).toBeNull();
  });

  it('a followed host on another port is listed with its port', async () => {
    const next = 'http://cdn.invalid:8443/items?page=2';
    const withPort = await run(linkTo(next), { paginator: { type: 'link' }, records: '$', followHosts: ['cdn.invalid:8443'] });
    expect(withPort.error).toBeUndefined();
    expect(stagedIds(withPort.staged)).toEqual(range(4));
    const withoutPort = await run(linkTo(next), { paginator: { type: 'link' }, records: '$', followHosts: ['cdn.invalid'] });
    expect(withoutPort.error).toBeInstanceOf(PagingError);
  });

  it('a redirect within the API is followed with credentials; one to another origin is refused', async () => {
    const within = await run(
      (url) => (url.pathname === '/items' ? { status: 307, headers: { location: '/v2/items' } } : { body: ids(1, 3) }),
      { paginator: { type: 'single' }, records: '$' },
    );
    expect(within.error).toBeUndefined();
    expect(within.seen.map((s) => [s.url.pathname, s.headers.get('authorization')])).toEqual([
      ['/items', 'Bearer tok-123'],
      ['/v2/items', 'Bearer tok-123'],
    ]);
    const away = await run(() => ({ status: 302, headers: { location: 'http://evil.invalid/steal' } }), {
      paginator: { type: 'single' },
      records: '$',
    });
    expect(away.error).toBeInstanceOf(PagingError);
    expect(String(away.error)).toMatch(/redirect leads to another origin \(http:\/\/evil\.invalid/);
    expect(away.seen.map((s) => s.url.origin)).toEqual([API]);
  });

  it('an API key in the query goes to every API request, to no other host, and never into a staged next link', async () => {
    const r = await run(
      (url) => {
        if (url.origin !== API) return { body: ids(5, 6) };
        // The API echoes the key in its next link, as many do.
        if (url.searchParams.get('page') === null)
          return { body: ids(1, 2), headers: { link: `<${API}/items?page=2&key=k-123>; rel="next"` } };
        return { body: ids(3, 4), headers: { link: '<http://cdn.invalid/items?page=3>; rel="next"' } };
      },
      { paginator: { type: 'link' }, records: '$', credentialQuery: { key: 'k-123' }, followHosts: ['cdn.invalid'] },
    );
    expect(r.error).toBeUndefined();
    expect(r.seen.map((s) => [s.url.origin, s.url.searchParams.get('key')])).toEqual([
      [API, 'k-123'],
      [API, 'k-123'],
      ['http://cdn.invalid', null],
    ]);
    expect(r.staged.map((p) => p.nextCursor)).not.toContainEqual(expect.stringContaining('k-123'));
  });

  it('a redirect loop ends the run', async () => {
    const r = await run((url) => ({ status: 302, headers: { location: `/items?hop=${Number(url.searchParams.get('hop') ?? 0) + 1}` } }), {
      paginator: { type: 'single' },
      records: '$',
    });
    expect(String(r.error)).toMatch(/redirected more than 5 times/);
  });
});
