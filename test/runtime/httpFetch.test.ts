import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/runtime/httpFetch.js';
import type { FetchResponse } from '../../src/runtime/runtime.js';

const tls = {
  cert: readFileSync(new URL('../support/tls/localhost.crt', import.meta.url)),
  key: readFileSync(new URL('../support/tls/localhost.key', import.meta.url)),
};
const httpFetch = createHttpFetch();
/** JSON text of 200 KB, so that a body comes in many chunks. */
const text = JSON.stringify(Array.from({ length: 2000 }, (_, id) => ({ id, name: `Kundin ${id} é 雪 😀`, note: 'x'.repeat(40) })));
const encoders: Readonly<Record<string, (bytes: Buffer) => Buffer>> = {
  gzip: gzipSync,
  deflate: deflateSync,
  br: (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }),
};

const readAll = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

let connections = 0;
/** Resolves when a request for `path` has reached the server (`arrived`) or its connection has closed (`closed`). */
const waiters = new Map<string, () => void>();
const when = (event: string): Promise<void> => new Promise((resolve) => waiters.set(event, resolve));
const happened = (event: string): void => waiters.get(event)?.();

async function handle(req: IncomingMessage, res: ServerResponse, origin: () => string, other: () => string): Promise<void> {
  const url = new URL(req.url ?? '/', origin());
  const body = await readAll(req);
  switch (url.pathname) {
    case '/echo':
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
      res.end(JSON.stringify({ method: req.method, headers: req.headers, body }));
      return;
    case '/text':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
      return;
    case '/encoded': {
      const coding = url.searchParams.get('coding') ?? 'gzip';
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
      res.end(encoders[coding]!(Buffer.from(text)));
      return;
    }
    case '/bytes':
      // A byte-order mark, then a byte that is not UTF-8.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('ok '), Buffer.from([0xff]), Buffer.from(' end')]));
      return;
    case '/redirect': {
      const to = url.searchParams.get('to') ?? '/echo';
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: to === 'other' ? `${other()}/echo` : to });
      res.end('moved');
      return;
    }
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      res.end();
      return;
    case '/nocontent':
      res.writeHead(204);
      res.end();
      return;
    case '/truncated':
      // Promises 1,000 bytes, sends 10, then closes.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('[{"id":1},', () => res.socket?.destroy());
      return;
    case '/partial':
      // The head and the start of the body, then nothing until the client leaves.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      res.on('close', () => happened('/partial closed'));
      return;
    case '/silent':
      // Never answers.
      res.on('close', () => happened('/silent closed'));
      happened('/silent arrived');
      return;
    default:
      res.writeHead(404);
      res.end();
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let a: Server;
let b: Server;
let aUrl: string;
let bUrl: string;

beforeAll(async () => {
  a = createServer(
    (req, res) =>
      void handle(
        req,
        res,
        () => aUrl,
        () => bUrl,
      ),
  );
  b = createServer(
    (req, res) =>
      void handle(
        req,
        res,
        () => bUrl,
        () => aUrl,
      ),
  );
  a.on('connection', () => connections++);
  aUrl = await listen(a);
  bUrl = await listen(b);
});

afterAll(async () => {
  for (const server of [a, b]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const echoed = async (response: FetchResponse): Promise<{ method: string; headers: Record<string, string>; body: string }> =>
  JSON.parse(await response.text()) as { method: string; headers: Record<string, string>; body: string };

describe('createHttpFetch (the default transport) against a real HTTP server', () => {
  it("sends fetch's default headers under the caller's, and a string body with its length and type", async () => {
    const got = await echoed(await httpFetch(`${aUrl}/echo`, { headers: { Accept: 'application/json', 'X-Trace': 't1' } }));
    expect(got.method).toBe('GET');
    expect(got.headers).toMatchObject({
      accept: 'application/json',
      'user-agent': 'node',
      'accept-encoding': 'gzip, deflate',
      'x-trace': 't1',
    });
    expect(got.headers['content-length']).toBeUndefined();

    const body = JSON.stringify({ username: 'demo', password: 'é' });
    const posted = await echoed(await httpFetch(`${aUrl}/echo`, { method: 'post', body, headers: { 'content-type': 'application/json' } }));
    expect(posted).toMatchObject({ method: 'POST', body });
    expect(posted.headers).toMatchObject({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    // As fetch types a string body it is given without a type.
    const plain = await echoed(await httpFetch(`${aUrl}/echo`, { method: 'POST', body: 'x=1' }));
    expect(plain.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });

  it('answers as fetch does: status, repeated headers, the text, a body read as it arrives', async () => {
    for (const path of ['/echo', '/text', '/bytes', '/nocontent', '/missing']) {
      const [ours, theirs] = [await httpFetch(`${aUrl}${path}`), await fetch(`${aUrl}${path}`)];
      expect(ours.status, path).toBe(theirs.status);
      expect(ours.headers.get('set-cookie'), path).toBe(theirs.headers.get('set-cookie'));
      expect(ours.headers.get('content-type'), path).toBe(theirs.headers.get('content-type'));
      const ourText = await ours.text();
      // The echo holds the request's headers, which differ (fetch also sends browser headers).
      if (path !== '/echo') expect(ourText, path).toBe(await theirs.text());
      else await theirs.text();
    }
    expect(await (await httpFetch(`${aUrl}/bytes`)).text()).toBe('ok \ufffd end');
    expect((await httpFetch(`${aUrl}/nocontent`)).body).toBeNull();

    const response = await httpFetch(`${aUrl}/text`);
    expect(response.bodyUsed).toBe(false);
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.body!) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(response.bodyUsed).toBe(true);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
  });

  it.each(['gzip', 'deflate', 'br'])('decodes a %s body, read whole or as it arrives', async (coding) => {
    expect(await (await httpFetch(`${aUrl}/encoded?coding=${coding}`)).text()).toBe(text);
    const response = await httpFetch(`${aUrl}/encoded?coding=${coding}`);
    expect(response.headers.get('content-encoding')).toBe(coding);
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.body!) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(text);
  });

  it('keeps the connection open from one request to the next', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) await (await httpFetch(`${aUrl}/text`)).text();
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('with redirect manual, answers the redirect itself', async () => {
    const response = await httpFetch(`${aUrl}/redirect?to=/echo`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/echo');
    expect(await response.text()).toBe('moved');
  });

  it('follows redirects as fetch does: 303 and a POST under 302 become a GET, 307 keeps the body, another origin gets no credentials', async () => {
    const headers = { authorization: 'Bearer secret-token', 'content-type': 'application/json' };
    const same = await echoed(await httpFetch(`${aUrl}/redirect?to=/echo&status=307`, { method: 'POST', body: '{"a":1}', headers }));
    expect(same).toMatchObject({ method: 'POST', body: '{"a":1}' });
    expect(same.headers).toMatchObject({ authorization: 'Bearer secret-token', 'content-type': 'application/json' });

    for (const status of [302, 303]) {
      const got = await echoed(await httpFetch(`${aUrl}/redirect?to=/echo&status=${status}`, { method: 'POST', body: '{"a":1}', headers }));
      expect(got, String(status)).toMatchObject({ method: 'GET', body: '' });
      expect(got.headers['content-type'], String(status)).toBeUndefined();
      expect(got.headers.authorization, String(status)).toBe('Bearer secret-token');
    }

    const elsewhere = await echoed(await httpFetch(`${aUrl}/redirect?to=other`, { headers }));
    expect(elsewhere.headers.authorization).toBeUndefined();
    await expect(httpFetch(`${aUrl}/loop`)).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: { message: 'more than 20 redirects' },
    });
    await expect(httpFetch(`${aUrl}/redirect`, { redirect: 'error' })).rejects.toMatchObject({
      message: 'fetch failed',
      cause: { message: 'unexpected redirect (302)' },
    });
  });

  it('an abort before the answer rejects with its reason and closes the request', async () => {
    const [arrived, closed] = [when('/silent arrived'), when('/silent closed')];
    const controller = new AbortController();
    const pending = httpFetch(`${aUrl}/silent`, { signal: controller.signal });
    await arrived;
    const reason = new Error('the deadline passed');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await closed;
    await expect(httpFetch(`${aUrl}/echo`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  it('an abort while the body arrives ends its reading and closes the connection', async () => {
    const closed = when('/partial closed');
    const controller = new AbortController();
    const response = await httpFetch(`${aUrl}/partial`, { signal: controller.signal });
    const chunks = response.body![Symbol.asyncIterator]();
    expect(Buffer.from((await chunks.next()).value as Uint8Array).toString()).toBe('[');
    controller.abort(new Error('stop'));
    await expect(chunks.next()).rejects.toMatchObject({ name: 'TypeError', message: 'terminated' });
    await closed;
  });

  it('a body cut short, a refused connection and a non-HTTP URL fail as fetch fails', async () => {
    const cut = await httpFetch(`${aUrl}/truncated`);
    await expect(cut.text()).rejects.toMatchObject({ name: 'TypeError', message: 'terminated' });

    const gone = createServer();
    const goneUrl = await listen(gone);
    await new Promise((resolve) => gone.close(resolve));
    await expect(httpFetch(`${goneUrl}/echo`)).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: { code: 'ECONNREFUSED' },
    });
    await expect(httpFetch('ftp://127.0.0.1/x')).rejects.toMatchObject({ message: 'fetch failed' });
    await expect(httpFetch(`http://user:pw@127.0.0.1:1/x`)).rejects.toThrow(/credentials/);
  });

  it('speaks HTTPS, trusting the authorities it is given', async () => {
    const server = createTlsServer(
      tls,
      (req, res) =>
        void handle(
          req,
          res,
          () => 'https://localhost',
          () => 'https://localhost',
        ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://localhost:${(server.address() as AddressInfo).port}`;
    try {
      const trusting = createHttpFetch({ https: { ca: tls.cert } });
      expect(await (await trusting(`${url}/encoded?coding=gzip`)).text()).toBe(text);
      await expect(httpFetch(`${url}/text`)).rejects.toMatchObject({
        message: 'fetch failed',
        cause: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
