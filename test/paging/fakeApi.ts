import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';

/** What the fake API answers for a URL: a JSON body (and headers), or undefined for 404. */
export type FakeRoute = (url: URL) => { body: unknown; headers?: Record<string, string> } | undefined;

/** A tiny scripted API for pagination shapes the simulator does not serve; latency on `clock`. */
export function fakeApi(route: FakeRoute, clock: Clock, latencyMs = 50): Fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    await clock.sleep(latencyMs, init?.signal ?? undefined);
    const answer = route(url);
    if (!answer) return new Response('{"error":"not_found"}', { status: 404 });
    return new Response(JSON.stringify(answer.body), { status: 200, headers: { 'content-type': 'application/json', ...answer.headers } });
  };
}

/** Records `{ id }` for ids `from..to`. */
export function ids(from: number, to: number): { id: number }[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => ({ id: from + i }));
}
