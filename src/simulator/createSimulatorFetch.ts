import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { SimRequest, SimResponse } from './simResponse.js';
import { createSimulatorCore } from './simulatorCore.js';
import type { SimulatorOptions } from './simulatorOptions.js';
import type { SimulatorStats } from './simulatorStats.js';

/** The simulator as an in-memory `fetch`, driven by an injected clock. */
export interface SimulatorFetch {
  /** Answers any URL (host ignored) as the simulator would over HTTP, with real `Response` objects: a run's `Fetch`. */
  readonly fetch: typeof globalThis.fetch;
  /** A base URL to hand to clients; any other host works as well. */
  readonly url: string;
  stats(): SimulatorStats;
}

/** What the core decided for one request, at clock time `at`: a request log for simulation tests. */
export interface SimExchange {
  readonly request: SimRequest;
  readonly response: SimResponse;
  readonly at: number;
}

/**
 * The simulator without sockets: latency and trickling run on `clock` timers (so a
 * `SimulatedClock` drives them), `init.signal` aborts with its reason, a reset rejects
 * like undici (`TypeError: fetch failed`), and answers are real `Response` objects.
 * `observe` sees every decision as it is made, before latency and delivery.
 */
export function createSimulatorFetch(options: SimulatorOptions, clock: Clock, observe?: (exchange: SimExchange) => void): SimulatorFetch {
  const core = createSimulatorCore(options, clock.now());

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input instanceof URL ? input.href : input);
    const signal = init?.signal ?? request?.signal ?? undefined;
    signal?.throwIfAborted();
    const body = await clock.track(readBody(init?.body ?? undefined, request));
    signal?.throwIfAborted();
    const headers = new Headers(init?.headers ?? request?.headers);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const simRequest: SimRequest = {
      method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query,
      headers: Object.fromEntries(headers),
      body,
      client: 'in-memory',
    };
    const response = core.handle(simRequest, clock.now());
    observe?.({ request: simRequest, response, at: clock.now() });
    // No latency means no timer: a caller that does not drive the clock still gets its answer.
    if (response.delayMs > 0) await clock.sleep(response.delayMs, signal);
    signal?.throwIfAborted();
    return toResponse(response, url.href, clock, signal);
  };

  return { fetch, url: 'http://simulator.invalid', stats: () => core.stats() };
}

async function readBody(body: RequestInit['body'], request: Request | undefined): Promise<string> {
  if (body !== undefined && body !== null) return new Response(body).text();
  return request ? request.text() : '';
}

function networkError(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`read ${code}`), { code }) });
}

function toResponse(res: SimResponse, url: string, clock: Clock, signal: AbortSignal | undefined): Response {
  const { delivery } = res;
  if (delivery.mode === 'reset') throw networkError('ECONNRESET');
  const bytes = new TextEncoder().encode(res.body);
  const init: ResponseInit = { status: res.status, headers: res.headers };
  let response: Response;
  if (delivery.mode === 'truncate') response = new Response(bytes.subarray(0, delivery.bytes), init);
  else if (delivery.mode === 'trickle') response = new Response(trickle(bytes, delivery.chunks, delivery.intervalMs, clock, signal), init);
  else response = new Response(bytes, init);
  // A constructed Response has an empty url; a fetched one names where it came from.
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

/** A body whose first chunk is ready at once and each next one `intervalMs` later on `clock`. */
function trickle(
  bytes: Uint8Array,
  chunks: number,
  intervalMs: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.length / chunks);
  let offset = 0;
  let timer: TimerHandle | undefined;
  let onAbort: (() => void) | undefined;
  const cleanup = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        cleanup();
        controller.error(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    },
    pull(controller) {
      const push = (): void => {
        timer = undefined;
        controller.enqueue(bytes.slice(offset, offset + size));
        offset += size;
        if (offset >= bytes.length) {
          cleanup();
          controller.close();
        }
      };
      if (offset === 0) {
        push();
        return;
      }
      return new Promise<void>((resolve) => {
        timer = clock.setTimeout(() => {
          push();
          resolve();
        }, intervalMs);
      });
    },
    cancel: cleanup,
  });
}
