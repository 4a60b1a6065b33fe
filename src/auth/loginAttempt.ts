import { readPath } from '../config/dottedPath.js';
import { AuthError, ResponseTooLargeError, TimeoutError } from '../errors.js';
import { NetworkError, fetchWithDeadline, type AttemptResponse } from '../http/fetchWithDeadline.js';
import { parseRetryAfter } from '../http/retryAfter.js';
import { notJson } from '../http/notJson.js';
import { redactUrl } from '../http/redactUrl.js';
import { transportErrorText } from '../http/transportErrorText.js';
import type { Clock } from '../runtime/clock.js';
import type { Fetch } from '../runtime/runtime.js';
import type { TokenRequest } from './tokenRequest.js';

/** What one login attempt came to, classified before any retry. */
export type LoginOutcome =
  /** `expiresInMs` undefined: the answer names no lifetime, the token is used until a 401. */
  | { readonly kind: 'ok'; readonly accessToken: string; readonly expiresInMs: number | undefined }
  /** Worth another attempt: network error, timeout, 408/425/429/5xx, a body that is not JSON. */
  | {
      readonly kind: 'transient';
      readonly status: number | undefined;
      readonly reason: string;
      readonly retryAfterMs: number | undefined;
      readonly cause?: unknown;
    }
  /** Never retried: wrong credentials, another 4xx, a redirect off the origin, a well-formed body without a usable token. */
  | { readonly kind: 'fatal'; readonly error: AuthError };

export interface LoginAttempt {
  /** What is sent (a login or a token request) and how its answer is read. */
  readonly request: TokenRequest;
  /** Covers every redirect hop of the attempt, headers and bodies. */
  readonly timeoutMs: number;
  readonly fetch: Fetch;
  readonly clock: Clock;
  /** Aborting it stops the attempt; the promise then rejects with the signal's reason. */
  readonly signal: AbortSignal;
}

const transientStatuses = new Set([408, 425, 429]);
/** The redirects that keep a POST a POST with its body; others (301/302/303 turn it into a GET) fail as any 3xx. */
const bodyKeepingRedirects = new Set([307, 308]);
/** More hops than a moved endpoint needs: a loop ends here. */
const maxRedirects = 3;
/** A token answer is a few hundred bytes: anything past this is not one, and is not held. */
const maxLoginBodyBytes = 1024 * 1024;

/**
 * One `POST` of the token request with a deadline on the injected clock covering headers and
 * body. Redirects are followed only on the endpoint's own origin (scheme, host, port): the
 * body holds the credentials. Resolves to an outcome; rejects only with the signal's reason
 * when aborted from outside.
 */
export async function attemptLogin(attempt: LoginAttempt): Promise<LoginOutcome> {
  const { request, clock, signal, timeoutMs } = attempt;
  const url = redactUrl(request.url);
  const origin = new URL(request.url).origin;
  const deadline = clock.now() + timeoutMs;
  let status: number | undefined;
  let target = request.url;
  try {
    for (let hops = 0; ; hops++) {
      const response = await fetchWithDeadline(target, {
        fetch: attempt.fetch,
        clock,
        timeoutMs: Math.max(1, deadline - clock.now()),
        signal,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        onHead: (head) => (status = head),
        maxBodyBytes: maxLoginBodyBytes,
      });
      if (!bodyKeepingRedirects.has(response.status)) return classify(response, request, url, clock.now());
      const fatal = (why: string): LoginOutcome => ({
        kind: 'fatal',
        error: new AuthError(`${request.what} to POST ${url} ${why}`, url, response.status),
      });
      const next = URL.parse(response.headers.get('location') ?? '', target);
      if (next === null) return fatal(`answered ${response.status} without a valid Location`);
      // Origins only: a Location may carry secrets in its query, and the body is never named.
      if (next.origin !== origin)
        return fatal(`was redirected (${response.status}) from ${origin} to ${next.origin}: not followed, credentials stay on ${origin}`);
      if (hops === maxRedirects) return fatal(`was redirected more than ${maxRedirects} times`);
      target = next.toString();
    }
  } catch (error: unknown) {
    if (signal.aborted) throw signal.reason;
    if (error instanceof ResponseTooLargeError) {
      return {
        kind: 'fatal',
        error: new AuthError(`${request.what} to POST ${url} answered more than ${maxLoginBodyBytes} bytes: not a token`, url, status),
      };
    }
    if (error instanceof TimeoutError) {
      return { kind: 'transient', status, reason: `timeout after ${timeoutMs} ms`, retryAfterMs: undefined, cause: error };
    }
    // The transport's own words, as fetch gave them: NetworkError only wraps them with the URL.
    const cause = error instanceof NetworkError ? error.cause : error;
    return { kind: 'transient', status, reason: `network error: ${transportErrorText(cause)}`, retryAfterMs: undefined, cause };
  }
}

function classify(response: AttemptResponse, request: TokenRequest, url: string, now: number): LoginOutcome {
  const { status, body } = response;
  const { what } = request;
  const fatal = (message: string): LoginOutcome => ({ kind: 'fatal', error: new AuthError(message, url, status) });
  if (status === 401 || status === 403 || (status === 400 && request.what === 'token request')) {
    // OAuth 2.0 refuses with 400 or 401 and an error code (RFC 6749 §5.2): a registered word, safe to name.
    const code = request.what === 'token request' ? oauthErrorCode(body) : undefined;
    return fatal(`${what} refused by POST ${url}: HTTP ${status}${code ? ` (${code})` : ''}; ${request.refusalHint}`);
  }
  if (transientStatuses.has(status) || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined;
    return { kind: 'transient', status, reason: `HTTP ${status}`, retryAfterMs };
  }
  if (status < 200 || status >= 300) return fatal(`${what} to POST ${url} failed: HTTP ${status}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // A truncated body or an HTML error page: the server stumbled, the next attempt may not. The
    // parser's message is not kept: it quotes the body, which may hold a token.
    return { kind: 'transient', status, reason: `${what} response is not JSON (${notJson(body)})`, retryAfterMs: undefined };
  }
  const token = readPath(parsed, request.tokenPath);
  if (typeof token !== 'string' || token.trim() === '') return fatal(`${what} response from ${url} has no ${request.tokenPath}`);
  const tokenType = readPath(parsed, 'token_type');
  if (request.tokenType !== undefined && typeof tokenType === 'string' && tokenType.toLowerCase() !== request.tokenType.toLowerCase())
    return fatal(
      `${what} response from ${url} has token_type ${JSON.stringify(tokenType.slice(0, 40))}; only ${request.tokenType} is supported`,
    );
  if (request.expiresInPath === undefined) return { kind: 'ok', accessToken: token, expiresInMs: undefined };
  const raw = readPath(parsed, request.expiresInPath);
  const expiresIn = toSeconds(raw);
  if (expiresIn === undefined && (request.expiresInRequired || raw !== undefined))
    return fatal(`${what} response from ${url} has no valid ${request.expiresInPath} (a positive number of seconds)`);
  return { kind: 'ok', accessToken: token, expiresInMs: expiresIn === undefined ? undefined : expiresIn * 1000 };
}

/** RFC 6749 §5.2's `error` (`invalid_client`, `invalid_scope`, ...), when the body has one of that shape: never free text. */
function oauthErrorCode(body: string): string | undefined {
  try {
    const code = readPath(JSON.parse(body) as unknown, 'error');
    return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function toSeconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}
