import type { AuthProvider } from '../../src/auth/authProvider.js';
import { fetchWithDeadline } from '../../src/http/fetchWithDeadline.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { Fetch } from '../../src/runtime/runtime.js';

/**
 * A minimal AuthProvider for stream tests: logs in against the simulator (retrying its
 * injected faults), single flight, refreshing at 80% of the token's lifetime (or, when not
 * `proactive`, only after a 401).
 */
export function simAuth(
  fetch: Fetch,
  clock: Clock,
  baseUrl: string,
  password = 'demo-password',
  proactive = true,
): AuthProvider & { logins: number } {
  let token: { header: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const state = { logins: 0 };
  const login = async (signal?: AbortSignal): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const body = JSON.stringify({ username: 'demo', password });
        const res = await fetchWithDeadline(`${baseUrl}/login`, {
          fetch: (url, init) =>
            fetch(url, {
              ...init,
              method: 'POST',
              body,
              headers: { ...(init?.headers as Record<string, string>), 'content-type': 'application/json' },
            }),
          clock,
          timeoutMs: 10_000,
          signal,
        });
        if (res.status === 200) {
          const json = JSON.parse(res.body) as { access_token: string; expires_in: number };
          state.logins++;
          token = { header: `Bearer ${json.access_token}`, refreshAt: proactive ? clock.now() + json.expires_in * 800 : Infinity };
          return token.header;
        }
        if (res.status === 401) throw new Error('wrong credentials');
      } catch (error: unknown) {
        if (signal?.aborted || (error instanceof Error && error.message === 'wrong credentials')) throw error;
      }
      if (attempt >= 30) throw new Error('login keeps failing');
      await clock.sleep(200 * attempt, signal);
    }
  };
  return {
    get logins() {
      return state.logins;
    },
    async getAuthHeader(signal) {
      if (token && clock.now() < token.refreshAt) return token.header;
      pending ??= login(signal).finally(() => (pending = undefined));
      return pending;
    },
    invalidate(header) {
      if (token?.header === header) token = undefined;
    },
  };
}
