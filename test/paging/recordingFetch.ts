import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';

/** One request as the client sent it and how it ended. */
export interface Exchange {
  readonly path: string;
  readonly page: string | null;
  readonly sentAt: number;
  endedAt?: number;
  status?: number;
  retryAfter?: string | null;
  error?: string;
  readonly signal: AbortSignal | undefined;
}

/**
 * Wraps a fetch to log every exchange (send time, status, Retry-After), and optionally to
 * answer some requests itself (`override` returns a Response to short-circuit).
 */
export function recordingFetch(
  inner: Fetch,
  clock: Clock,
  override?: (url: URL) => Response | undefined,
): { fetch: Fetch; log: Exchange[] } {
  const log: Exchange[] = [];
  const fetch: Fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const entry: Exchange = {
      path: url.pathname,
      page: url.searchParams.get('page') ?? url.searchParams.get('cursor'),
      sentAt: clock.now(),
      signal: init?.signal ?? undefined,
    };
    log.push(entry);
    try {
      const res = override?.(url) ?? (await inner(input, init));
      entry.endedAt = clock.now();
      entry.status = res.status;
      entry.retryAfter = res.headers.get('retry-after');
      return res;
    } catch (error: unknown) {
      entry.endedAt = clock.now();
      entry.error = String(error);
      throw error;
    }
  };
  return { fetch, log };
}
