import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';

export interface RecordedCall {
  readonly url: string;
  readonly method: string;
  readonly body: unknown;
  readonly at: number;
  readonly signal: AbortSignal | undefined;
}

/** One scripted answer: a Response, a thrown error, or a function of the call. */
export type Step = Response | Error | ((call: RecordedCall) => Promise<Response> | Response);

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

let tokenSeq = 0;

/** A successful login answer with a fresh, unique token (6 characters or more: shorter secrets are not scrubbed from text). */
export function loginOk(expiresIn = 3600): Response {
  return json(200, { access_token: `token-${++tokenSeq}`, token_type: 'Bearer', expires_in: expiresIn });
}

/** A login that never answers, except by rejecting when its signal aborts. */
export function hang(call: RecordedCall): Promise<Response> {
  return new Promise((_, reject) => call.signal?.addEventListener('abort', () => reject(call.signal?.reason), { once: true }));
}

/** Answers after `ms` on the clock (abortable), like a server with latency. */
export function after(clock: Clock, ms: number, step: () => Response): (call: RecordedCall) => Promise<Response> {
  return async (call) => {
    await clock.sleep(ms, call.signal);
    return step();
  };
}

/**
 * A fetch that plays `steps` in order and records every call; once the script is used up,
 * every login succeeds with `expires_in` = `fallbackExpiresIn`.
 */
export function scriptedFetch(clock: Clock, steps: Step[], fallbackExpiresIn = 3600): { fetch: Fetch; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch: Fetch = async (input, init) => {
    const call: RecordedCall = {
      url: String(input instanceof Request ? input.url : input),
      method: init?.method ?? 'GET',
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
      at: clock.now(),
      signal: init?.signal ?? undefined,
    };
    calls.push(call);
    const step = steps.shift() ?? loginOk(fallbackExpiresIn);
    if (step instanceof Response) return step;
    if (step instanceof Error) throw step;
    return step(call);
  };
  return { fetch, calls };
}
