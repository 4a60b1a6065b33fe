/**
 * Every error a caller of the library can receive is an `IngestError` and has a type guard
 * (`isConfigError(e): e is ConfigError`, ...), exported from the main entry.
 *
 * The guards check a brand, not `instanceof` (nor `name`): `errorGuard` puts a registered symbol
 * (`Symbol.for('ingest.error.<Name>')`) on the class's prototype. `Symbol.for` is shared by every
 * copy of this package loaded in one process (two versions in node_modules, a bundle beside the
 * package, a test runner's fresh module graph), where `instanceof` is false for the other copy's
 * classes; and being on the prototype it is inherited, so the guard of a base class also accepts
 * its subclasses (`isStagingError(runLocked)`), which `name` (the most derived class's only)
 * cannot do; nor does it mistake another library's error that happens to share a name.
 */

/** The guard of an error class: true for its instances and its subclasses' in any copy of the package. */
export type ErrorGuard<T extends Error> = (error: unknown) => error is T;

/** Brands `errorClass` (and so its subclasses) as `name` and returns its guard; `name` is the class's `name`. */
export function errorGuard<T extends Error>(errorClass: abstract new (...args: never[]) => T, name: string): ErrorGuard<T> {
  const brand = Symbol.for(`ingest.error.${name}`);
  Object.defineProperty(errorClass.prototype, brand, { value: true });
  return (error: unknown): error is T =>
    typeof error === 'object' && error !== null && (error as { readonly [brand]?: unknown })[brand] === true;
}

/** The base of every error the library throws on purpose. */
export class IngestError extends Error {
  override name = 'IngestError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
export const isIngestError: ErrorGuard<IngestError> = errorGuard(IngestError, 'IngestError');

/** A response status that is not retried (or no longer), with the URL it came from. */
export class HttpStatusError extends IngestError {
  override name = 'HttpStatusError';
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isHttpStatusError: ErrorGuard<HttpStatusError> = errorGuard(HttpStatusError, 'HttpStatusError');

/** A response body longer than `maxBodyBytes` (after decompression): cut off at the limit, never held whole. */
export class ResponseTooLargeError extends IngestError {
  override name = 'ResponseTooLargeError';
  constructor(
    message: string,
    readonly maxBodyBytes: number,
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isResponseTooLargeError: ErrorGuard<ResponseTooLargeError> = errorGuard(ResponseTooLargeError, 'ResponseTooLargeError');

/** The server asked us to wait longer than we are allowed to. */
export class RateLimitError extends IngestError {
  override name = 'RateLimitError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isRateLimitError: ErrorGuard<RateLimitError> = errorGuard(RateLimitError, 'RateLimitError');

/** Login failed or a fresh token was refused; names the endpoint and status, never a secret. */
export class AuthError extends IngestError {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly url: string,
    readonly status: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isAuthError: ErrorGuard<AuthError> = errorGuard(AuthError, 'AuthError');

/** An attempt or a run exceeded its deadline. */
export class TimeoutError extends IngestError {
  override name = 'TimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isTimeoutError: ErrorGuard<TimeoutError> = errorGuard(TimeoutError, 'TimeoutError');

/** Delivery to the object store failed or was refused. */
export class UploadError extends IngestError {
  override name = 'UploadError';
}
export const isUploadError: ErrorGuard<UploadError> = errorGuard(UploadError, 'UploadError');

/** The configuration is invalid; `problems` lists every issue found, in user words. */
export class ConfigError extends IngestError {
  override name = 'ConfigError';
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
  }
}
export const isConfigError: ErrorGuard<ConfigError> = errorGuard(ConfigError, 'ConfigError');
