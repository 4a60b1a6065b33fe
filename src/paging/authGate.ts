import type { AuthProvider } from '../auth/authProvider.js';
import { AuthError } from '../errors.js';
import type { StreamEvent } from './streamEvent.js';
import { redactUrl } from '../http/redactUrl.js';

/** The header an attempt was sent with, and the order in which it was sent. */
export interface SentAuth {
  readonly header: string | undefined;
  readonly seq: number;
}

/**
 * Wraps the run's `AuthProvider`: tells of token changes (`token.refreshing`/`token.refreshed`:
 * the provider's own events when it has them, else a changed header), turns a 401 into one
 * invalidation of the header that failed (single flight, only when it is still the current
 * one), and fails clearly when a fresh token is refused at once.
 */
export class AuthGate {
  readonly #auth: AuthProvider;
  readonly #emit: (event: StreamEvent) => void;
  readonly #url: string;
  #started = false;
  #current: string | undefined;
  /** The current header came from a login and no request with it was accepted yet. */
  #fresh = false;
  #refreshing = false;
  #seq = 0;
  readonly #invalidatedAt = new Map<string, number>();
  /** Set when the provider tells of its logins itself: the gate then infers nothing. */
  readonly #unsubscribe: (() => void) | undefined;

  constructor(auth: AuthProvider, url: string, emit: (event: StreamEvent) => void) {
    this.#auth = auth;
    this.#url = redactUrl(url);
    this.#emit = emit;
    // The first login is not a refresh; a failed one leaves the stream to fail or to log in again.
    this.#unsubscribe = auth.subscribe?.((event) => {
      // Login attempts are counted by the run from the provider itself (the first login comes before any stream).
      if (event.reason === 'initial' || event.type === 'login.attempt') return;
      if (event.type === 'token.refreshing') this.#emit({ type: 'token.refreshing' });
      else if (event.type === 'token.refreshed') this.#emit({ type: 'token.refreshed' });
    });
  }

  /** Stops listening to the provider. */
  close(): void {
    this.#unsubscribe?.();
  }

  /** The header for the next attempt (each call counts as one send, for the 401 bookkeeping). */
  async header(signal?: AbortSignal): Promise<SentAuth> {
    const header = await this.#auth.getAuthHeader(signal);
    if (!this.#started) {
      this.#started = true;
      this.#current = header;
      this.#fresh = header !== undefined;
    } else if (header !== this.#current) {
      if (this.#unsubscribe === undefined) {
        if (!this.#refreshing) this.#emit({ type: 'token.refreshing' });
        this.#emit({ type: 'token.refreshed' });
      }
      this.#refreshing = false;
      this.#current = header;
      this.#fresh = header !== undefined;
    }
    return { header, seq: ++this.#seq };
  }

  /** An attempt with this header got an answer other than 401. */
  accepted(sent: SentAuth): void {
    if (sent.header === this.#current) this.#fresh = false;
  }

  /** An attempt got 401: invalidate its header once, or throw `AuthError` when retrying cannot help. */
  unauthorized(sent: SentAuth): void {
    const { header } = sent;
    if (header === undefined) {
      throw new AuthError(
        `${this.#url} answered 401 to a request without credentials: configure authentication for this endpoint`,
        this.#url,
        401,
      );
    }
    if (this.#fresh && header === this.#current) {
      throw new AuthError(
        `${this.#url} refused the credentials it was just given (401, right after login or with a static token): check the credentials and the API's auth settings`,
        this.#url,
        401,
      );
    }
    const invalidatedAt = this.#invalidatedAt.get(header);
    if (invalidatedAt !== undefined) {
      if (sent.seq > invalidatedAt) {
        throw new AuthError(`${this.#url} keeps answering 401: the credentials were refused again after a refresh`, this.#url, 401);
      }
      return; // sent before the invalidation: the refresh is already under way
    }
    this.#invalidatedAt.set(header, this.#seq);
    this.#auth.invalidate(header);
    if (header === this.#current && !this.#refreshing) {
      this.#refreshing = true;
      if (this.#unsubscribe === undefined) this.#emit({ type: 'token.refreshing' });
    }
  }
}
