import type { Logger } from 'pino';
import { AuthError } from '../errors.js';
import { fullJitterBackoff, type BackoffPolicy } from '../http/backoff.js';
import { redactUrl } from '../http/redactUrl.js';
import { loggerFor } from '../logging/loggerFor.js';
import { defaultSecretRegistry, type SecretRegistry } from '../logging/redaction.js';
import type { Runtime } from '../runtime/runtime.js';
import type { AuthEvent, AuthProvider, LoginReason } from './authProvider.js';
import { refreshDelayMs, resolveAuthClientOptions, type AuthClientOptions, type ResolvedAuthClientOptions } from './authClientOptions.js';
import { attemptLogin } from './loginAttempt.js';

/** The client's own diagnostics; a run's figures come from its events (`subscribe`). */
export interface AuthStats {
  /** Successful logins (the first one included). */
  readonly logins: number;
  /** Successful logins after the first. */
  readonly refreshes: number;
  /** Every login (or token request) sent, redirect hops not counted. */
  readonly loginAttempts: number;
  /** Logins that gave up. */
  readonly failedLogins: number;
  /** `invalidate` calls that dropped the current token. */
  readonly invalidations: number;
  /** `invalidate` calls with an older header, ignored. */
  readonly staleInvalidations: number;
}

export type AuthRuntime = Pick<Runtime, 'clock' | 'random' | 'fetch' | 'logger'> & {
  /** Where the credentials and tokens are registered for scrubbing; default the process-wide one. */
  readonly secrets?: SecretRegistry;
};

interface Token {
  readonly header: string;
  readonly refreshAt: number;
  readonly expiresAt: number;
}

interface Flight {
  readonly promise: Promise<string>;
  readonly controller: AbortController;
  waiters: number;
}

/** A token with less life left than this is not handed out: a request needs time to arrive. */
const stillValidMarginMs = 1_000;
/**
 * Once the server has answered a login, an attempt is cut off after this many times its slowest
 * answer (at least `minAnsweredLoginTimeoutMs`), doubling with each attempt of the same login up
 * to `timeoutMs`: every page waits for a refresh, and a login the server sat on held them all
 * for the full 10 s (hostile R = 4 lost 20 s of 120 to two of them); a login that is slow every
 * time still gets its full deadline by the later attempts.
 */
const answeredLoginTimeoutFactor = 8;
const minAnsweredLoginTimeoutMs = 2_000;

/**
 * Token-based auth: a login (`POST` a JSON body) or an OAuth 2.0 client-credentials grant, one
 * token at a time, refreshed ahead of expiry (a token without a lifetime: on 401 only), single
 * flight (concurrent callers share one login), retries of transient failures with full-jitter
 * backoff and `Retry-After`, and no secret in any log or error.
 */
export class AuthClient implements AuthProvider {
  readonly #options: ResolvedAuthClientOptions;
  readonly #runtime: AuthRuntime;
  readonly #log: Logger;
  readonly #secrets: SecretRegistry;
  readonly #backoff: BackoffPolicy;
  readonly #listeners = new Set<(event: AuthEvent) => void>();
  /** Unregisters the request's credentials from the secret registry. */
  readonly #releaseCredentials: () => void;
  readonly #tokenSecrets: (() => void)[] = [];
  #token: Token | undefined;
  #flight: Flight | undefined;
  /** No login is sent before this clock time: the server's last Retry-After outlives the login that received it. */
  #notBefore = -Infinity;
  /** The slowest login the server answered, from send to token. */
  #slowestLoginMs: number | undefined;
  #stats = { logins: 0, refreshes: 0, loginAttempts: 0, failedLogins: 0, invalidations: 0, staleInvalidations: 0 };

  constructor(options: AuthClientOptions, runtime: AuthRuntime) {
    this.#secrets = runtime.secrets ?? defaultSecretRegistry;
    // The options' problems name fields, never values: the credentials are registered once known.
    this.#options = resolveAuthClientOptions(options);
    const releases = this.#options.request.secrets.map((secret) => this.#secrets.register(secret));
    this.#releaseCredentials = () => releases.forEach((release) => release());
    this.#runtime = runtime;
    this.#log = loggerFor(runtime.logger, 'auth');
    this.#backoff = { baseMs: this.#options.backoffBaseMs, factor: 2, capMs: this.#options.backoffCapMs };
  }

  /** The login (or token) endpoint, without any userinfo. */
  get loginUrl(): string {
    return redactUrl(this.#options.request.url);
  }

  get stats(): AuthStats {
    return { ...this.#stats };
  }

  /** Listens to `token.*` events; returns the function that stops listening. */
  subscribe(listener: (event: AuthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * `<scheme> <token>`, logging in first when there is no token or it has (almost) expired; a
   * token due for refresh but still valid is returned while a background login replaces it. Concurrent callers share one login; a caller's abort leaves the others waiting
   * (the login itself stops only when every waiting caller has gone).
   */
  async getAuthHeader(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw signal.reason;
    const now = this.#runtime.clock.now();
    const token = this.#token;
    if (token && now < token.refreshAt) return token.header;
    if (token && now + stillValidMarginMs < token.expiresAt) {
      // Due for refresh but still valid: refresh in the background rather than hold every caller.
      if (!this.#flight) this.#start('refresh-ahead').promise.catch(() => undefined);
      return token.header;
    }
    const reason: LoginReason = token ? 'expired' : this.#stats.logins === 0 ? 'initial' : 'invalidated';
    return this.#join(this.#flight ?? this.#start(reason), signal);
  }

  /** A request with `header` got 401: drop the token, unless it has been replaced already. */
  invalidate(header: string | undefined): void {
    if (header !== undefined && this.#token?.header === header) {
      this.#token = undefined;
      this.#stats.invalidations++;
      this.#log.debug('token invalidated after a 401');
    } else {
      this.#stats.staleInvalidations++;
    }
  }

  #start(reason: LoginReason): Flight {
    const controller = new AbortController();
    const flight: Flight = { controller, waiters: 0, promise: this.#login(reason, controller.signal) };
    this.#flight = flight;
    const clear = (): void => {
      if (this.#flight === flight) this.#flight = undefined;
    };
    flight.promise.then(clear, clear);
    return flight;
  }

  #join(flight: Flight, signal: AbortSignal | undefined): Promise<string> {
    flight.waiters++;
    if (!signal) return flight.promise;
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal.reason);
        if (--flight.waiters === 0) {
          // Nobody waits any more: stop the login, and let the next caller start afresh.
          if (this.#flight === flight) this.#flight = undefined;
          flight.controller.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (header) => {
          signal.removeEventListener('abort', onAbort);
          resolve(header);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  async #login(reason: LoginReason, signal: AbortSignal): Promise<string> {
    this.#emit({ type: 'token.refreshing', reason });
    this.#log.debug({ reason, url: this.loginUrl }, 'logging in');
    try {
      const header = await this.#loginWithRetry(reason, signal);
      return header;
    } catch (error: unknown) {
      if (!signal.aborted) {
        this.#stats.failedLogins++;
        // Debug only: the run reports its failure once (the report, the CLI's one sentence).
        this.#log.debug({ err: error, reason }, 'login failed');
      }
      this.#emit({ type: 'token.failed', reason, error });
      throw error;
    }
  }

  async #loginWithRetry(reason: LoginReason, signal: AbortSignal): Promise<string> {
    const { clock, random, fetch } = this.#runtime;
    const o = this.#options;
    const url = this.loginUrl;
    for (let attempt = 1; ; attempt++) {
      // A login that gave up on a Retry-After leaves it to the next one (another caller may start it at once).
      if (clock.now() < this.#notBefore) await clock.sleep(this.#notBefore - clock.now(), signal);
      const sentAt = clock.now();
      this.#stats.loginAttempts++;
      const timeoutMs = this.#attemptTimeoutMs(attempt);
      const outcome = await attemptLogin({ request: o.request, timeoutMs, fetch, clock, signal });
      this.#emit({ type: 'login.attempt', reason, ok: outcome.kind === 'ok', durationMs: clock.now() - sentAt });
      if (outcome.kind === 'ok') {
        this.#slowestLoginMs = Math.max(this.#slowestLoginMs ?? 0, clock.now() - sentAt);
        this.#accept(outcome.accessToken, outcome.expiresInMs, sentAt);
        this.#stats.logins++;
        if (reason !== 'initial') this.#stats.refreshes++;
        this.#log.info({ reason, attempts: attempt, expiresInMs: outcome.expiresInMs }, 'logged in');
        this.#emit({ type: 'token.refreshed', reason, expiresInMs: outcome.expiresInMs, attempts: attempt });
        return this.#token!.header;
      }
      if (outcome.kind === 'fatal') throw this.#scrubbed(outcome.error);
      if (outcome.retryAfterMs !== undefined) this.#notBefore = clock.now() + Math.min(outcome.retryAfterMs, o.maxRetryAfterMs);
      if (attempt >= o.maxAttempts) {
        throw this.#scrubbed(
          new AuthError(`${o.request.what} to POST ${url} failed after ${attempt} attempts; last: ${outcome.reason}`, url, outcome.status, {
            cause: outcome.cause,
          }),
        );
      }
      // The server's timing wins: Retry-After is honoured exactly (capped), not jittered.
      const waitMs = outcome.retryAfterMs !== undefined ? this.#notBefore - clock.now() : fullJitterBackoff(attempt, this.#backoff, random);
      this.#log.warn({ attempt, status: outcome.status, reason: outcome.reason, waitMs }, 'login attempt failed; retrying');
      await clock.sleep(waitMs, signal);
    }
  }

  /** The deadline of attempt `attempt` of a login (see `answeredLoginTimeoutFactor`). */
  #attemptTimeoutMs(attempt: number): number {
    const { timeoutMs } = this.#options;
    if (this.#slowestLoginMs === undefined) return timeoutMs;
    const first = Math.max(minAnsweredLoginTimeoutMs, answeredLoginTimeoutFactor * this.#slowestLoginMs);
    return Math.min(timeoutMs, first * 2 ** (attempt - 1));
  }

  /**
   * Ends the client: a login in flight is stopped, its token dropped and its secrets
   * unregistered. A process that runs ingestion after ingestion would otherwise keep every
   * token it was ever issued in the registry, and scrub every log line against all of them (a
   * 10,000-seed campaign slowed down as its regular expression grew).
   */
  close(): void {
    this.#flight?.controller.abort(new Error('the auth client is closed'));
    this.#token = undefined;
    for (const release of this.#tokenSecrets.splice(0)) release();
    this.#releaseCredentials();
  }

  /** Stores the token, expiring `expiresInMs` after the request was SENT (the safe side); without a lifetime, kept until a 401. */
  #accept(accessToken: string, expiresInMs: number | undefined, sentAt: number): void {
    this.#tokenSecrets.push(this.#secrets.register(accessToken));
    // Keep the current and previous token registered: older ones are expired and harmless.
    while (this.#tokenSecrets.length > 2) this.#tokenSecrets.shift()?.();
    this.#token = {
      header: `${this.#options.request.scheme} ${accessToken}`,
      refreshAt: expiresInMs === undefined ? Infinity : sentAt + refreshDelayMs(expiresInMs, this.#options),
      expiresAt: expiresInMs === undefined ? Infinity : sentAt + expiresInMs,
    };
  }

  /** The same error with every registered secret scrubbed from its message. */
  #scrubbed(error: AuthError): AuthError {
    const message = this.#secrets.redact(error.message);
    if (message === error.message) return error;
    return new AuthError(message, error.url, error.status, { cause: error.cause });
  }

  #emit(event: AuthEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error: unknown) {
        this.#log.warn({ err: error, event: event.type }, 'auth event listener threw');
      }
    }
  }
}
