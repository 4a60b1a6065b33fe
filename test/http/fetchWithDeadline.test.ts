import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import nodeFetch from 'node-fetch';
import { describe, expect, it } from 'vitest';
import { TimeoutError, isResponseTooLargeError } from '../../src/errors.js';
import { NetworkError, fetchWithDeadline } from '../../src/http/fetchWithDeadline.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { realClock } from '../../src/runtime/clock.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

/** A fetch whose head arrives after `headMs` and whose body trickles one chunk per `chunkMs`. */
function slowFetch(
  clock: SimulatedClock,
  headMs: number,
  chunks: string[],
  chunkMs: number,
  seen: { signal?: AbortSignal | undefined },
): Fetch {
  return async (_url, init) => {
    seen.signal = init?.signal ?? undefined;
    await clock.sleep(headMs, init?.signal ?? undefined);
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i > 0) await clock.sleep(chunkMs);
        controller.enqueue(new TextEncoder().encode(chunks[i++]));
        if (i >= chunks.length) controller.close();
      },
    });
    return new Response(body, { status: 200 });
  };
}

describe('fetchWithDeadline', () => {
  it('returns the whole body when it arrives before the deadline', async () => {
    const clock = new SimulatedClock(0);
    const fetch = slowFetch(clock, 100, ['{"a":', '1}'], 200, {});
    const res = await clock.run(() => fetchWithDeadline('http://x/y', { fetch, clock, timeoutMs: 1000 }));
    expect(res).toMatchObject({ status: 200, body: '{"a":1}', bytes: 7, latencyMs: 300 });
  });

  it('cuts off a trickling body at the deadline (the deadline covers headers AND body)', async () => {
    const clock = new SimulatedClock(0);
    const seen: { signal?: AbortSignal | undefined } = {};
    const fetch = slowFetch(clock, 100, ['a', 'b', 'c', 'd', 'e'], 400, seen);
    const error = await clock.run(() =>
      fetchWithDeadline('http://x/y?token=s3cret', { fetch, clock, timeoutMs: 1000 }).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(1000);
    expect(String(error)).not.toContain('s3cret');
    expect(clock.now()).toBe(1000);
    expect(seen.signal?.aborted).toBe(true);
  });

  it('cuts off a response whose head never comes', async () => {
    const clock = new SimulatedClock(0);
    const fetch = slowFetch(clock, 90_000, ['x'], 0, {});
    await expect(clock.run(() => fetchWithDeadline('http://x/y', { fetch, clock, timeoutMs: 5000 }))).rejects.toBeInstanceOf(TimeoutError);
    expect(clock.now()).toBe(5000);
  });

  it("rejects with the run signal's reason when the run is aborted, and never as a timeout", async () => {
    const clock = new SimulatedClock(0);
    const run = new AbortController();
    const seen: { signal?: AbortSignal | undefined } = {};
    const fetch = slowFetch(clock, 10_000, ['x'], 0, seen);
    clock.setTimeout(() => run.abort(new Error('stop the run')), 50);
    await expect(clock.run(() => fetchWithDeadline('http://x/y', { fetch, clock, timeoutMs: 5000, signal: run.signal }))).rejects.toThrow(
      'stop the run',
    );
    expect(seen.signal?.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wraps a transport failure in NetworkError without the secret query', async () => {
    const clock = new SimulatedClock(0);
    const fetch: Fetch = () => Promise.reject(new TypeError('fetch failed', { cause: new Error('read ECONNRESET') }));
    const error = await fetchWithDeadline('http://u:p@x/y?password=hunter2', { fetch, clock, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(String((error as Error).message)).toContain('ECONNRESET');
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('fetchWithDeadline request options', () => {
  it('sends the method, body and headers it is given, with accept: application/json unless overridden', async () => {
    const clock = new SimulatedClock(0);
    const seen: { method?: string | undefined; body?: unknown; headers?: unknown }[] = [];
    const fetch: Fetch = (_url, init) => {
      seen.push({ method: init?.method, body: init?.body, headers: init?.headers });
      return Promise.resolve(new Response('ok', { status: 201 }));
    };
    await fetchWithDeadline('http://x/login', {
      fetch,
      clock,
      timeoutMs: 1000,
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    await fetchWithDeadline('http://x/y', { fetch, clock, timeoutMs: 1000, headers: { accept: 'text/csv' } });
    // Header names are case-insensitive: a configured `Accept` replaces the default, never joins it.
    await fetchWithDeadline('http://x/z', {
      fetch,
      clock,
      timeoutMs: 1000,
      headers: { Accept: 'application/vnd.github+json', 'X-Tenant': 'a' },
    });
    expect(seen).toEqual([
      { method: 'POST', body: '{"a":1}', headers: { accept: 'application/json', 'content-type': 'application/json' } },
      { method: 'GET', body: undefined, headers: { accept: 'text/csv' } },
      { method: 'GET', body: undefined, headers: { accept: 'application/vnd.github+json', 'x-tenant': 'a' } },
    ]);
  });

  it('reliability row 12: reports the status of a head whose body is then cut off by the deadline', async () => {
    const clock = new SimulatedClock(0);
    const fetch = slowFetch(clock, 100, ['a', 'b', 'c', 'd', 'e'], 400, {});
    const heads: [number, number][] = [];
    const error = await clock.run(() =>
      fetchWithDeadline('http://x/y', { fetch, clock, timeoutMs: 1000, onHead: (status) => heads.push([status, clock.now()]) }).catch(
        (e: unknown) => e,
      ),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(heads).toEqual([[200, 100]]);
  });
});

describe('fetchWithDeadline maxBodyBytes', () => {
  /** A body of `chunks` chunks of `size` bytes each, made as they are read; `pulled` counts them. */
  function endlessFetch(
    chunks: number,
    size: number,
    pulled: { count: number; cancelled: boolean },
    headers?: Record<string, string>,
  ): Fetch {
    return async () => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled.count++;
          controller.enqueue(new Uint8Array(size).fill(0x20));
          if (pulled.count >= chunks) controller.close();
        },
        cancel() {
          pulled.cancelled = true;
        },
      });
      return new Response(body, { status: 200, ...(headers ? { headers } : {}) });
    };
  }

  it('decodes a body within the limit as Response.text() does: characters split across chunks, the BOM dropped', async () => {
    const clock = new SimulatedClock(0);
    const bytes = new TextEncoder().encode('\ufeff{"name":"Zoë 😀"}');
    const fetch = slowFetch(clock, 0, [], 0, {});
    const split: Fetch = async (url, init) => {
      await fetch(url, init);
      const parts = [bytes.slice(0, 12), bytes.slice(12, 17), bytes.slice(17)];
      return new Response(new ReadableStream({ start: (c) => (parts.forEach((p) => c.enqueue(p)), c.close()) }));
    };
    const res = await clock.run(() =>
      fetchWithDeadline('http://x/y', { fetch: split, clock, timeoutMs: 1000, maxBodyBytes: bytes.length }),
    );
    expect(res.body).toBe('{"name":"Zoë 😀"}');
  });

  it('cuts a longer body off just past the limit, cancels it and names the limit, not the secret query', async () => {
    const clock = new SimulatedClock(0);
    const pulled = { count: 0, cancelled: false };
    const fetch = endlessFetch(1_000_000, 64 * 1024, pulled);
    const error = await clock.run(() =>
      fetchWithDeadline('http://x/y?token=s3cret', { fetch, clock, timeoutMs: 1000, maxBodyBytes: 1024 * 1024 }).catch((e: unknown) => e),
    );
    expect(isResponseTooLargeError(error)).toBe(true);
    expect(String(error)).toMatch(/http:\/\/x\/y sent a body larger than maxBodyBytes 1048576/);
    expect(String(error)).not.toContain('s3cret');
    // 16 chunks make the limit; the 17th passes it. The stream may read a few ahead, never the rest.
    expect(pulled.count).toBeLessThan(20);
    expect(pulled.cancelled).toBe(true);
  });

  it('refuses a declared length over the limit without reading the body; a compressed one is counted instead', async () => {
    const clock = new SimulatedClock(0);
    const plain = { count: 0, cancelled: false };
    const declared = endlessFetch(10, 1024, plain, { 'content-length': String(10 * 1024) });
    await expect(
      clock.run(() => fetchWithDeadline('http://x/y', { fetch: declared, clock, timeoutMs: 1000, maxBodyBytes: 5000 })),
    ).rejects.toSatisfy(isResponseTooLargeError);
    expect(plain.count).toBeLessThan(2);
    // Content-Length of a gzip body is of the compressed bytes: the decompressed ones decide.
    const zipped = { count: 0, cancelled: false };
    const small = endlessFetch(4, 1024, zipped, { 'content-length': '100', 'content-encoding': 'gzip' });
    const res = await clock.run(() => fetchWithDeadline('http://x/y', { fetch: small, clock, timeoutMs: 1000, maxBodyBytes: 5000 }));
    expect(res.bytes).toBe(4096);
  });

  // node-fetch gives the body as a Node stream, not a web ReadableStream: both are bounded.
  it.each([
    ['Node', globalThis.fetch],
    ['node-fetch', nodeFetch as unknown as Fetch],
  ])('bounds a real gzip bomb from a real server by its decompressed bytes (%s fetch)', async (_name, fetch) => {
    // 1 GiB of spaces, gzip-compressed as it is sent (about 1 MB on the wire); the server stops when the client goes.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const write = (): void => {
        while (sent < 1024 && !res.destroyed) {
          sent++;
          if (!gzip.write(chunk)) return void gzip.once('drain', write);
        }
        gzip.end();
      };
      res.on('close', () => gzip.destroy());
      write();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await fetchWithDeadline(`http://127.0.0.1:${port}/bomb`, {
        fetch,
        clock: realClock,
        timeoutMs: 60_000,
        maxBodyBytes: 8 * 1024 * 1024,
      }).catch((e: unknown) => e);
      expect(isResponseTooLargeError(error)).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
