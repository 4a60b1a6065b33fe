import { AuthError, TimeoutError } from '../errors.js';
import { NetworkError, fetchWithDeadline, type AttemptResponse } from '../http/fetchWithDeadline.js';
import { parseRetryAfter } from '../http/retryAfter.js';
import { notJson } from '../http/notJson.js';
import { redactUrl } from '../http/redactUrl.js';
import { transportErrorText } from '../http/transportErrorText.js';
import type { Clock } from '../runtime/clock.js';
import type { Fetch } from '../runtime/runtime.js';

/** What one login attempt came to, classified before any retry. */
export type LoginOutcome =
  | { readonly kind: 'ok'; readonly accessToken: string; readonly expiresInMs: number }
  /** Worth another attempt: network error, timeout, 408/425/429/5xx, a body that is not JSON. */
  | {
      readonly kind: 'transient';
      readonly status: number | undefined;
      readonly reason: string;
      readonly retryAfterMs: number | undefined;
      readonly cause?: unknown;
    }
  /** Never retried: wrong credentials, another 4xx, a well-formed body without a usable token. */
  | { readonly kind: 'fatal'; readonly error: AuthError };

export interface LoginRequest {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly fetch: Fetch;
  readonly clock: Clock;
  /** Aborting it stops the attempt; the promise then rejects with the signal's reason. */
  readonly signal: AbortSignal;
}

const transientStatuses = new Set([408, 425, 429]);

/**
 * One `POST /login` with a deadline on the injected clock covering headers and body. Resolves
 * to an outcome; rejects only with the signal's reason when aborted from outside.
 */
export async function attemptLogin(request: LoginRequest): Promise<LoginOutcome> {
  const { clock, signal, timeoutMs } = request;
  const url = redactUrl(request.url);
  let status: number | undefined;
  try {
    const response = await fetchWithDeadline(request.url, {
      fetch: request.fetch,
      clock,
      timeoutMs,
      signal,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: request.username, password: request.password }),
      onHead: (head) => (status = head),
    });
    return classify(response, url, clock.now());
  } catch (error: unknown) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof TimeoutError) {
      return { kind: 'transient', status, reason: `timeout after ${timeoutMs} ms`, retryAfterMs: undefined, cause: error };
    }
    // The transport's own words, as fetch gave them: NetworkError only wraps them with the URL.
    const cause = error instanceof NetworkError ? error.cause : error;
    return { kind: 'transient', status, reason: `network error: ${transportErrorText(cause)}`, retryAfterMs: undefined, cause };
  }
}

function classify(response: AttemptResponse, url: string, now: number): LoginOutcome {
  const { status, body } = response;
  if (status === 401 || status === 403) {
    return {
      kind: 'fatal',
      error: new AuthError(`login refused by POST ${url}: HTTP ${status}; check the username and password`, url, status),
    };
  }
  if (transientStatuses.has(status) || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined;
    return { kind: 'transient', status, reason: `HTTP ${status}`, retryAfterMs };
  }
  if (status < 200 || status >= 300) {
    return { kind: 'fatal', error: new AuthError(`login to POST ${url} failed: HTTP ${status}`, url, status) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // A truncated body or an HTML error page: the server stumbled, the next attempt may not. The
    // parser's message is not kept: it quotes the body, which may hold a token.
    return { kind: 'transient', status, reason: `login response is not JSON (${notJson(body)})`, retryAfterMs: undefined };
  }
  const fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const token = fields['access_token'];
  if (typeof token !== 'string' || token.trim() === '') {
    return { kind: 'fatal', error: new AuthError(`login response from ${url} has no access_token`, url, status) };
  }
  const expiresIn = toSeconds(fields['expires_in']);
  if (expiresIn === undefined) {
    return {
      kind: 'fatal',
      error: new AuthError(`login response from ${url} has no valid expires_in (a positive number of seconds)`, url, status),
    };
  }
  return { kind: 'ok', accessToken: token, expiresInMs: expiresIn * 1000 };
}

function toSeconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}
