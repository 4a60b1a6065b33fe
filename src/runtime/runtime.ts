import type { Logger } from 'pino';
import { pino } from 'pino';
import { realClock, type Clock } from './clock.js';
import { realRandom, type Random } from './random.js';
import { createHttpFetch } from './httpFetch.js';

/**
 * The part of an answer a run reads: `fetch`'s `Response` is one. `body` is read as it arrives
 * (by `for await`) when a body limit applies, and cancelled when abandoned; else `text()`.
 */
export interface FetchResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: (AsyncIterable<Uint8Array> & { cancel(reason?: unknown): Promise<void> }) | null;
  readonly bodyUsed: boolean;
  text(): Promise<string>;
}

/** How a run sends its requests: the default transport (`createHttpFetch`), `fetch` itself, or any client of that shape. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<FetchResponse>;

/** One transport for the process: its connections are kept open from one run to the next. */
const defaultFetch = createHttpFetch();

/** Everything in a run that reads time, randomness or the network comes from here. */
export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly fetch: Fetch;
  readonly logger: Logger;
}

/** Real defaults for anything not given: wall clock, Math.random, Node's HTTP (`createHttpFetch`), a silent logger. */
export function createRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    clock: overrides.clock ?? realClock,
    random: overrides.random ?? realRandom,
    fetch: overrides.fetch ?? defaultFetch,
    logger: overrides.logger ?? pino({ level: 'silent' }),
  };
}
