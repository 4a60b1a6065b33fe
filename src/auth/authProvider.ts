/** Supplies the `Authorization` header for requests; implemented by AuthClient and simpler schemes. */
export interface AuthProvider {
  /** A valid header value (e.g. `Bearer …`), or undefined when the endpoint needs none. */
  getAuthHeader(signal?: AbortSignal): Promise<string | undefined>;
  /** A request with this header got 401: drop it, unless a newer one is already current. */
  invalidate(header: string | undefined): void;
  /** Called once the run is over: release what it holds (tokens, secrets registered for redaction). */
  close?(): void;
}
