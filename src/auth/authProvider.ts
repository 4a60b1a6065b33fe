/** Why a login happens. */
export type LoginReason = 'initial' | 'refresh-ahead' | 'expired' | 'invalidated';

/** What a provider that logs in tells the world; the page stream forwards these as its `token.*` events. */
export type AuthEvent =
  | { readonly type: 'token.refreshing'; readonly reason: LoginReason }
  /** `expiresInMs` undefined: the token names no lifetime and is used until a 401. */
  | {
      readonly type: 'token.refreshed';
      readonly reason: LoginReason;
      readonly expiresInMs: number | undefined;
      readonly attempts: number;
    }
  | { readonly type: 'token.failed'; readonly reason: LoginReason; readonly error: unknown }
  /** One login (or token request) answered or given up on: the run counts every one, failed ones included. */
  | { readonly type: 'login.attempt'; readonly reason: LoginReason; readonly ok: boolean; readonly durationMs: number };

/** Supplies the credential header for requests; implemented by AuthClient and simpler schemes. */
export interface AuthProvider {
  /** The header `getAuthHeader`'s value is sent in (an API key's `X-API-Key`); default `Authorization`. */
  readonly headerName?: string | undefined;
  /** A valid header value (e.g. `Bearer …`), or undefined when the endpoint needs none. */
  getAuthHeader(signal?: AbortSignal): Promise<string | undefined>;
  /** A request with this header got 401: drop it, unless a newer one is already current. */
  invalidate(header: string | undefined): void;
  /**
   * Listens to the provider's own token events; returns the function that stops listening. A
   * provider without it has its token changes noticed by the page stream instead.
   */
  subscribe?(listener: (event: AuthEvent) => void): () => void;
  /** Called once the run is over: release what it holds (tokens, secrets registered for redaction). */
  close?(): void;
}
