import { defaultSecretRegistry, type SecretRegistry } from '../logging/redaction.js';
import type { AuthProvider } from './authProvider.js';

/** A fixed bearer token (an API key issued out of band). It is never refreshed. */
export class StaticBearerAuth implements AuthProvider {
  readonly #header: string;
  readonly #releaseToken: () => void;

  constructor(token: string, secrets: SecretRegistry = defaultSecretRegistry) {
    if (token.trim() === '') throw new TypeError('StaticBearerAuth: token must not be empty');
    this.#releaseToken = secrets.register(token);
    this.#header = `Bearer ${token}`;
  }

  getAuthHeader(signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    return Promise.resolve(this.#header);
  }

  /** Nothing to drop: the same token is all there is, so a 401 stays a 401. */
  invalidate(_header?: string): void {}

  /** Unregisters the token from the secret registry. */
  close(): void {
    this.#releaseToken();
  }
}

/** For endpoints that need no `Authorization` header. */
export class NoAuth implements AuthProvider {
  getAuthHeader(signal?: AbortSignal): Promise<undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    return Promise.resolve(undefined);
  }

  invalidate(_header?: string): void {}
}
