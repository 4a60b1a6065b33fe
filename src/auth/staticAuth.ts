import { defaultSecretRegistry, type SecretRegistry } from '../logging/redaction.js';
import type { AuthProvider } from './authProvider.js';

/**
 * A fixed credential, never refreshed: the same value in the same header on every request (or,
 * for a key sent in the query, no header: the page stream adds it to each request, as `credentialQuery`). Its secrets stay
 * registered for redaction until closed.
 */
export class StaticAuth implements AuthProvider {
  readonly headerName: string | undefined;
  readonly #header: string | undefined;
  readonly #release: (() => void)[];

  /** `secrets`: every form the credential takes (a Basic header's user:password and its base64). */
  constructor(headerName: string | undefined, header: string | undefined, secrets: readonly string[], registry: SecretRegistry) {
    this.headerName = headerName;
    this.#header = header;
    this.#release = secrets.map((secret) => registry.register(secret));
  }

  getAuthHeader(signal?: AbortSignal): Promise<string | undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    return Promise.resolve(this.#header);
  }

  /** Nothing to drop: the same credential is all there is, so a 401 stays a 401. */
  invalidate(_header?: string): void {}

  /** Unregisters the credential from the secret registry. */
  close(): void {
    for (const release of this.#release.splice(0)) release();
  }
}

/** A fixed bearer token (issued out of band). */
export class StaticBearerAuth extends StaticAuth {
  constructor(token: string, secrets: SecretRegistry = defaultSecretRegistry) {
    if (token.trim() === '') throw new TypeError('StaticBearerAuth: token must not be empty');
    super(undefined, `Bearer ${token}`, [token], secrets);
  }
}

/** HTTP Basic (RFC 7617): `Authorization: Basic base64(user:password)`. */
export class BasicAuth extends StaticAuth {
  constructor(username: string, password: string, secrets: SecretRegistry = defaultSecretRegistry) {
    if (username.includes(':')) throw new TypeError('BasicAuth: a user name cannot hold ":" (RFC 7617)');
    const encoded = Buffer.from(`${username}:${password}`).toString('base64');
    super(undefined, `Basic ${encoded}`, [password, encoded], secrets);
  }
}

/** An API key in header `name`, or in query parameter `name` (added to each request by the page stream, registered here). */
export class ApiKeyAuth extends StaticAuth {
  constructor(key: { in: 'header' | 'query'; name: string; value: string }, secrets: SecretRegistry = defaultSecretRegistry) {
    if (key.value.trim() === '') throw new TypeError('ApiKeyAuth: the key must not be empty');
    // A key in a URL is also seen percent-encoded.
    const forms = [...new Set([key.value, encodeURIComponent(key.value), new URLSearchParams({ k: key.value }).toString().slice(2)])];
    super(key.in === 'header' ? key.name : undefined, key.in === 'header' ? key.value : undefined, forms, secrets);
  }
}

/** For endpoints that need no credentials. */
export class NoAuth implements AuthProvider {
  getAuthHeader(signal?: AbortSignal): Promise<undefined> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    return Promise.resolve(undefined);
  }

  invalidate(_header?: string): void {}
}
