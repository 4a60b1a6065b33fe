/** The base of every error the library throws on purpose. */
export class IngestError extends Error {
  override name = 'IngestError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

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

/** Delivery to the object store failed or was refused. */
export class UploadError extends IngestError {
  override name = 'UploadError';
}

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
