import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { startSimulator, type RunningSimulator, type StartSimulatorOptions } from '../../src/simulator/index.js';
import { bearer, credentials } from './helpers.js';

const running: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const sim = await startSimulator({ host: '127.0.0.1', ...options });
  running.push(sim);
  return sim;
}

interface Page {
  data: { id: number }[];
  metadata: { page: number; limit: number; total_records: number; total_pages: number; has_next: boolean };
}

describe('simulator over real HTTP: the contract', () => {
  it('logs in with an HS256 JWT that carries exp, and refuses bad credentials and bodies', async () => {
    const sim = await start({ profile: 'calm', tokenLifetimeSeconds: 60 });
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(`${sim.url}/login`, { method: 'POST', body: JSON.stringify(credentials) });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(60);
    const [header, payload, signature] = body.access_token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { sub: string; exp: number; iat: number };
    expect(claims.sub).toBe('demo');
    expect(claims.exp - claims.iat).toBeGreaterThanOrEqual(60);
    expect(signature).toMatch(/^[\w-]{43}$/);

    const wrong = await fetch(`${sim.url}/login`, { method: 'POST', body: JSON.stringify({ ...credentials, password: 'nope' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_credentials' });
    for (const bad of ['{not json', '[]', JSON.stringify({ username: 'demo' })]) {
      const res = await fetch(`${sim.url}/login`, { method: 'POST', body: bad });
      expect(res.status).toBe(400);
    }
    expect(sim.stats().logins).toEqual({ succeeded: 1, failed: 1 });
  });

  it('pages /customers 1-based with consistent metadata, an empty page past the end, ids 1..N in order', async () => {
    const sim = await start({ profile: 'calm', records: 25 });
    const auth = await bearer(sim.url);
    const ids: number[] = [];
    for (let page = 1; page <= 4; page++) {
      const res = await fetch(`${sim.url}/customers?page=${page}&limit=10`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as Page;
      expect(body.metadata).toEqual({ page, limit: 10, total_records: 25, total_pages: 3, has_next: page < 3 });
      if (page === 4) expect(body.data).toEqual([]);
      ids.push(...body.data.map((r) => r.id));
    }
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const stats = sim.stats();
    expect(stats.pagesServed).toBe(4);
    expect(stats.recordsServed).toBe(25);
    expect(stats.byEndpoint.customers).toEqual({ '200': 4 });
  });

  it('answers 401 for a missing, malformed or foreign token and 400 for a bad page or limit', async () => {
    const sim = await start({ profile: 'calm', records: 10, maxPageSize: 50 });
    const other = await start({ profile: 'calm', jwtSecret: 'another-secret' });
    const foreign = await bearer(other.url);
    for (const header of [undefined, 'Bearer', 'Bearer abc.def.ghi', 'Basic ZGVtbzpkZW1v', foreign]) {
      const res = await fetch(`${sim.url}/customers`, header === undefined ? {} : { headers: { authorization: header } });
      expect(res.status, String(header)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const auth = await bearer(sim.url);
    for (const query of ['limit=51', 'limit=0', 'limit=-1', 'limit=ten', 'page=0', 'page=1.5', 'page=']) {
      const res = await fetch(`${sim.url}/customers?${query}`, { headers: { authorization: auth } });
      expect(res.status, query).toBe(400);
    }
    const max = await fetch(`${sim.url}/customers?limit=50`, { headers: { authorization: auth } });
    expect(max.status).toBe(200);
    expect(sim.stats().byEndpoint.customers).toEqual({ '401': 5, '400': 7, '200': 1 });
  });

  it('chains /orders by opaque cursor to the end and rejects a forged cursor', async () => {
    const sim = await start({ profile: 'calm', records: 5, orders: 23 });
    const auth = await bearer(sim.url);
    const ids: number[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await fetch(`${sim.url}/orders?limit=10${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: auth } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { id: number; customer_id: number }[]; metadata: { next_cursor: string | null } };
      ids.push(...body.data.map((o) => o.id));
      for (const o of body.data) expect(o.customer_id).toBeGreaterThanOrEqual(1);
      cursor = body.metadata.next_cursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(ids).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    const forged = await fetch(`${sim.url}/orders?cursor=not-a-cursor`, { headers: { authorization: auth } });
    expect(forged.status).toBe(400);
  });

  it('expires tokens after expires_in on the injected clock', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const sim = await start({ profile: 'calm', tokenLifetimeSeconds: 30, clock });
    const auth = await bearer(sim.url);
    await clock.advance(29_000);
    expect((await fetch(`${sim.url}/customers`, { headers: { authorization: auth } })).status).toBe(200);
    await clock.advance(1_000);
    const expired = await fetch(`${sim.url}/customers`, { headers: { authorization: auth } });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: 'token_expired' });
    expect(sim.stats().faults.token_expired).toBe(1);
    expect((await fetch(`${sim.url}/customers`, { headers: { authorization: await bearer(sim.url) } })).status).toBe(200);
  });

  it('rate-limits a burst with 429, Retry-After and RateLimit headers, and recovers after the wait', async () => {
    const clock = new SimulatedClock(0);
    const sim = await start({ profile: 'calm', rateLimit: 2, rateLimitBurst: 3, rateLimitPolicyHeader: true, clock });
    // Login is keyed by client address; requests with a token by its subject: separate buckets.
    const auth = await bearer(sim.url);
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${sim.url}/customers?limit=1`, { headers: { authorization: auth } });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
      else expect(res.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limited!.headers.get('retry-after')).toBe('1');
    expect(limited!.headers.get('ratelimit-limit')).toBe('2');
    expect(limited!.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited!.headers.get('ratelimit-reset')).toBe('1');
    expect(limited!.headers.get('ratelimit-policy')).toBe('"default";q=2;w=1');
    expect(sim.stats().rateLimited).toBe(2);
    await clock.advance(1000);
    expect((await fetch(`${sim.url}/customers?limit=1`, { headers: { authorization: auth } })).status).toBe(200);
  });

  it('can send Retry-After as an HTTP-date and switch the RateLimit headers off', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1, 12, 0, 0, 250));
    const sim = await start({ profile: 'calm', rateLimit: 0.5, rateLimitBurst: 1, retryAfterDateRate: 1, rateLimitHeaders: false, clock });
    await fetch(`${sim.url}/health`);
    const first = await fetch(`${sim.url}/login`, { method: 'POST', body: JSON.stringify(credentials) });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBeNull();
    const limited = await fetch(`${sim.url}/login`, { method: 'POST', body: JSON.stringify(credentials) });
    expect(limited.status).toBe(429);
    const retryAt = Date.parse(limited.headers.get('retry-after') ?? '');
    expect(retryAt).toBeGreaterThanOrEqual(clock.now() + 2000);
    expect(retryAt).toBeLessThanOrEqual(clock.now() + 3000);
    for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy']) {
      expect(limited.headers.get(name)).toBeNull();
    }
  });

  it('answers 503 to everything but /health inside an outage window', async () => {
    const clock = new SimulatedClock(0);
    const sim = await start({ profile: 'calm', outages: [{ startMs: 10_000, endMs: 25_000 }], clock });
    const auth = await bearer(sim.url);
    await clock.advance(10_000);
    const down = await fetch(`${sim.url}/customers`, { headers: { authorization: auth } });
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('15');
    expect((await fetch(`${sim.url}/login`, { method: 'POST', body: JSON.stringify(credentials) })).status).toBe(503);
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    const stats = (await (await fetch(`${sim.url}/__stats`)).json()) as { faults: { outage: number } };
    expect(stats.faults.outage).toBe(2);
    await clock.advance(15_000);
    expect((await fetch(`${sim.url}/customers`, { headers: { authorization: auth } })).status).toBe(200);
  });

  it('injects 500, 502 and 503 (with Retry-After) as configured', async () => {
    const cases: [StartSimulatorOptions, number][] = [
      [{ serverErrorRate: 1, badGatewayShare: 0 }, 500],
      [{ serverErrorRate: 1, badGatewayShare: 1 }, 502],
      [{ unavailableRate: 1, unavailableRetryAfterRate: 1, unavailableRetryAfterMaxSeconds: 4 }, 503],
    ];
    for (const [options, status] of cases) {
      const sim = await start({ profile: 'calm', faultsOnLogin: false, ...options });
      const res = await fetch(`${sim.url}/customers`, { headers: { authorization: await bearer(sim.url) } });
      expect(res.status).toBe(status);
      if (status === 500) expect(await res.json()).toEqual({ error: 'internal' });
      if (status === 503) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      if (status === 503) expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(4);
      expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    }
  });

  it('makes reset, truncated and HTML faults observable to a client', async () => {
    const reset = await start({ profile: 'calm', resetRate: 1, faultsOnLogin: false, records: 500 });
    const read = async (): Promise<string> => {
      const res = await fetch(`${reset.url}/customers?limit=500`, { headers: { authorization: await bearer(reset.url) } });
      return res.text();
    };
    await expect(read()).rejects.toThrow();
    expect(reset.stats().byEndpoint.customers).toEqual({ reset: 1 });

    const cut = await start({ profile: 'calm', truncateRate: 1, faultsOnLogin: false });
    const truncated = await fetch(`${cut.url}/customers`, { headers: { authorization: await bearer(cut.url) } });
    expect(truncated.status).toBe(200);
    const text = await truncated.text();
    expect(text.startsWith('{"data":[')).toBe(true);
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    expect(cut.stats().pagesServed).toBe(0);

    const html = await start({ profile: 'calm', wrongContentRate: 1, faultsOnLogin: false });
    const page = await fetch(`${html.url}/customers`, { headers: { authorization: await bearer(html.url) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/^<!DOCTYPE html>/);
    expect(html.stats().faults.wrong_content).toBe(1);
  });

  it('trickles a body in chunks that still parse whole', async () => {
    const sim = await start({
      profile: 'calm',
      trickleRate: 1,
      trickleChunks: 4,
      trickleIntervalMs: 20,
      faultsOnLogin: false,
      records: 50,
    });
    const res = await fetch(`${sim.url}/customers?limit=50`, { headers: { authorization: await bearer(sim.url) } });
    expect(res.status).toBe(200);
    let reads = 0;
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body!) {
      reads++;
      text += decoder.decode(chunk, { stream: true });
    }
    expect(reads).toBeGreaterThanOrEqual(2);
    expect((JSON.parse(text) as Page).data).toHaveLength(50);
    expect(sim.stats().faults.trickle).toBe(1);
  });

  it('404s unknown paths, 405s wrong methods and always serves /health', async () => {
    const sim = await start({ profile: 'hostile', outages: [{ startMs: 0, endMs: 3_600_000 }] });
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/login`)).status).toBe(405);
    for (let i = 0; i < 5; i++) expect((await fetch(`${sim.url}/health`)).status).toBe(200);
  });
});
