import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import { NetworkError, fetchWithDeadline } from '../../src/http/fetchWithDeadline.js';
import type { Fetch } from '../../src/runtime/runtime.js';
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
