import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { createSimulatorFetch, type SimExchange, type SimulatorFetch, type SimulatorOptions } from '../../src/simulator/index.js';

/** How the client met a response: whole, or given up (its deadline or the run's end aborted it). */
export type ClientFate = 'pending' | 'network' | 'aborted' | 'head' | 'body' | 'bodyAborted';

/** One request as both sides saw it. Times are clock ms; `seq` orders events at the same instant. */
export interface LoggedRequest {
  readonly id: number;
  readonly path: string;
  readonly page: number | undefined;
  readonly sentAt: number;
  readonly sentSeq: number;
  /** The bearer token sent, with its `exp` claim in ms. */
  readonly token: { readonly value: string; readonly expMs: number } | undefined;
  /** What the simulator decided (undefined if the request never reached it). */
  sim?: SimExchange;
  fate: ClientFate;
  /** When the response head reached the client. */
  receivedAt?: number;
  receivedSeq?: number;
  /** Why the client's signal aborted this request, if it did (its deadline, or the run's end). */
  abortReason?: unknown;
  /** For a 200 login the client read whole: the token it got and its lifetime. */
  issued?: { readonly value: string; readonly expiresInMs: number };
}

export interface LoggedSimulator {
  readonly url: string;
  readonly fetch: Fetch;
  readonly simulator: SimulatorFetch;
  readonly requests: readonly LoggedRequest[];
}

const HEADER = 'x-sim-request';

function bearerToken(headers: Headers): LoggedRequest['token'] {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get('authorization') ?? '');
  const value = match?.[1];
  if (value === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(value.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? { value, expMs: claims.exp * 1000 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The in-memory simulator behind a `fetch` that logs every request on the client side (sent
 * when, with which token; answered when; read whole or given up) and joins it with what the
 * simulator decided (status, headers, pages served), through a request-id header.
 */
export function loggedSimulator(options: SimulatorOptions, clock: Clock): LoggedSimulator {
  const requests: LoggedRequest[] = [];
  let seq = 0;
  const simulator = createSimulatorFetch(options, clock, (exchange) => {
    const id = Number(exchange.request.headers[HEADER]);
    const entry = requests[id];
    if (entry) entry.sim = exchange;
  });

  const fetch: Fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const page = url.searchParams.get('page');
    const entry: LoggedRequest = {
      id: requests.length,
      path: url.pathname,
      page: page === null ? undefined : Number(page),
      sentAt: clock.now(),
      sentSeq: ++seq,
      token: bearerToken(headers),
      fate: 'pending',
    };
    requests.push(entry);
    headers.set(HEADER, String(entry.id));
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) entry.abortReason = signal.reason;
    else signal?.addEventListener('abort', () => void (entry.abortReason ??= signal.reason), { once: true });
    let response: Response;
    try {
      response = await simulator.fetch(input instanceof Request ? new Request(input, { headers }) : url, { ...init, headers });
    } catch (error: unknown) {
      entry.fate = error instanceof TypeError && error.message === 'fetch failed' ? 'network' : 'aborted';
      throw error;
    }
    entry.receivedAt = clock.now();
    entry.receivedSeq = ++seq;
    entry.fate = 'head';
    return observedBody(response, entry);
  };

  return { url: simulator.url, fetch, simulator, requests };
}

/** The same response, with a body that records whether the client read it to the end. */
function observedBody(response: Response, entry: LoggedRequest): Response {
  const source = response.body;
  if (source === null) {
    entry.fate = 'body';
    return response;
  }
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          entry.fate = 'body';
          noteLogin(entry);
          controller.close();
        } else controller.enqueue(value);
      } catch (error: unknown) {
        entry.fate = 'bodyAborted';
        controller.error(error);
      }
    },
    async cancel(reason) {
      entry.fate = 'bodyAborted';
      await reader.cancel(reason);
    },
  });
  const observed = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(observed, 'url', { value: response.url });
  return observed;
}

function noteLogin(entry: LoggedRequest): void {
  const sim = entry.sim;
  if (entry.path !== '/login' || sim?.response.status !== 200 || sim.response.delivery.mode === 'truncate') return;
  try {
    const body = JSON.parse(sim.response.body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token === 'string' && typeof body.expires_in === 'number') {
      entry.issued = { value: body.access_token, expiresInMs: body.expires_in * 1000 };
    }
  } catch {
    // An HTML page instead of JSON: no token was issued to the client.
  }
}

/** The request log as lines, for `npm run sim -- --seeds 1 --seed S --trace`. */
export function formatLog(requests: readonly LoggedRequest[], t0: number): string[] {
  const tokens = new Map<string, number>();
  const tokenNo = (value: string): number => tokens.get(value) ?? tokens.set(value, tokens.size).size - 1;
  return requests.map((r) => {
    const sim = r.sim?.response;
    const parts = [
      `#${r.id}`,
      `${r.path}${r.page === undefined ? '' : `?page=${r.page}`}`,
      `sent +${Math.round(r.sentAt - t0)}`,
      r.receivedAt === undefined ? 'no answer' : `answered +${Math.round(r.receivedAt - t0)}`,
      r.token ? `token ${tokenNo(r.token.value)}${r.sentAt >= r.token.expMs ? ' (past exp)' : ''}` : '',
      r.issued ? `issued token ${tokenNo(r.issued.value)}` : '',
      sim ? `${sim.status}${sim.delivery.mode === 'normal' ? '' : ` ${sim.delivery.mode}`}` : 'not handled',
      sim?.headers['retry-after'] ? `retry-after "${sim.headers['retry-after']}"` : '',
      `client: ${r.fate}`,
      r.abortReason === undefined ? '' : `aborted: ${r.abortReason instanceof Error ? r.abortReason.name : String(r.abortReason)}`,
    ];
    return parts.filter((p) => p !== '').join('  ');
  });
}
