import type { Logger } from 'pino';
import { pino } from 'pino';
import { realClock, type Clock } from './clock.js';
import { realRandom, type Random } from './random.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Everything in a run that reads time, randomness or the network comes from here. */
export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly fetch: Fetch;
  readonly logger: Logger;
}

/** Real defaults for anything not given: wall clock, Math.random, global fetch, a silent logger. */
export function createRuntime(overrides: Partial<Runtime> = {}): Runtime {
  return {
    clock: overrides.clock ?? realClock,
    random: overrides.random ?? realRandom,
    fetch: overrides.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    logger: overrides.logger ?? pino({ level: 'silent' }),
  };
}
