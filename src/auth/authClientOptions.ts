import { authSchema, type AuthSpecInput } from '../config/sourceSpec.js';
import { ConfigError } from '../errors.js';
import { clientCredentialsRequest, loginRequest, type TokenRequest } from './tokenRequest.js';

/**
 * Options of `AuthClient`; only the endpoint and the credentials are required: a `grant` (a
 * source file's `login` or `oauth2` auth), or else `username` and `password`, posted as
 * `{ username, password }` to `loginPath` (the token at `access_token`, its lifetime at `expires_in`).
 */
export interface AuthClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly grant?: Extract<AuthSpecInput, { type: 'login' | 'oauth2' }>;
  /** Joined to `baseUrl` (keeping any base path). Default `/login`. */
  readonly loginPath?: string;
  readonly username?: string;
  readonly password?: string;
  /** Refresh when less than this is left of the token's life. Default 60 000 ms. */
  readonly refreshMarginMs?: number;
  /** Refresh once this share of the token's life has passed. Default 0.8. */
  readonly refreshAtFraction?: number;
  /** Attempts per login (first try included). Default 5. */
  readonly maxAttempts?: number;
  /** Full-jitter backoff `U(0, min(cap, base × 2^(n−1)))`. Defaults 250 ms and 20 000 ms. */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Longest `Retry-After` honoured; longer waits are cut to this. Default 120 000 ms. */
  readonly maxRetryAfterMs?: number;
  /** Deadline of each login attempt, response body included. Default 10 000 ms; once logins are answered, first attempts get 8x the slowest answer (at least 2 s), doubling per attempt up to it. */
  readonly timeoutMs?: number;
}

export type ResolvedAuthClientOptions = Required<Omit<AuthClientOptions, 'grant' | 'loginPath' | 'username' | 'password'>> & {
  /** What is sent for a token. */
  readonly request: TokenRequest;
};

export const authClientDefaults = {
  loginPath: '/login',
  refreshMarginMs: 60_000,
  refreshAtFraction: 0.8,
  maxAttempts: 5,
  backoffBaseMs: 250,
  backoffCapMs: 20_000,
  maxRetryAfterMs: 120_000,
  timeoutMs: 10_000,
} as const;

/** Applies defaults and checks every option; a ConfigError lists every problem at once. */
export function resolveAuthClientOptions(options: AuthClientOptions): ResolvedAuthClientOptions {
  const { grant, username, password, loginPath, ...tuning } = options;
  const o = { ...authClientDefaults, ...stripUndefined(tuning) };
  const problems: string[] = [];
  const base = URL.parse(o.baseUrl);
  if (base === null) problems.push('auth.baseUrl: not a valid URL');
  else if (base.protocol !== 'http:' && base.protocol !== 'https:') problems.push('auth.baseUrl: must be an http(s) URL');
  let request: TokenRequest | undefined;
  if (grant === undefined) {
    if (typeof username !== 'string' || username === '') problems.push('auth.username: required (or set INGEST_USERNAME)');
    if (typeof password !== 'string' || password === '') problems.push('auth.password: required (or set INGEST_PASSWORD)');
    const path = loginPath ?? authClientDefaults.loginPath;
    const login = {
      type: 'login',
      path,
      body: { username, password },
      tokenPath: 'access_token',
      expiresInPath: 'expires_in',
      scheme: 'Bearer',
    } as const;
    if (base !== null) request = loginRequest(o.baseUrl, login);
  } else {
    const parsed = authSchema.safeParse(grant);
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `auth.${issue.path.join('.')}: ${issue.message}`));
    else if (base !== null && parsed.data.type === 'login') request = loginRequest(o.baseUrl, parsed.data);
    else if (base !== null && parsed.data.type === 'oauth2') request = clientCredentialsRequest(o.baseUrl, parsed.data);
  }
  const positive = (name: keyof typeof authClientDefaults, value: number, integer = false): void => {
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      problems.push(`auth.${name}: must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
    }
  };
  positive('maxAttempts', o.maxAttempts, true);
  positive('timeoutMs', o.timeoutMs);
  positive('backoffBaseMs', o.backoffBaseMs);
  positive('backoffCapMs', o.backoffCapMs);
  if (!Number.isFinite(o.refreshMarginMs) || o.refreshMarginMs < 0) problems.push('auth.refreshMarginMs: must be ≥ 0');
  if (!Number.isFinite(o.maxRetryAfterMs) || o.maxRetryAfterMs < 0) problems.push('auth.maxRetryAfterMs: must be ≥ 0');
  if (!(o.refreshAtFraction > 0 && o.refreshAtFraction <= 1)) problems.push('auth.refreshAtFraction: must be in (0, 1]');
  if (o.backoffCapMs < o.backoffBaseMs) problems.push('auth.backoffCapMs: must be ≥ backoffBaseMs');
  if (problems.length > 0 || request === undefined) throw new ConfigError(problems);
  return { ...o, request };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The token is always used for at least this share of its life, however short it is. */
export const MIN_USE_FRACTION = 0.5;

/**
 * When to refresh a token of `lifetimeMs`, counted from when it was obtained: at
 * `refreshAtFraction` of its life or with `refreshMarginMs` left, whichever comes first
 * (docs/pacing.md, "Tokens"), but never before half its life (or `refreshAtFraction`, if lower): a margin longer than the token
 * itself would otherwise mean a login before every request.
 */
export function refreshDelayMs(
  lifetimeMs: number,
  policy: Pick<ResolvedAuthClientOptions, 'refreshAtFraction' | 'refreshMarginMs'>,
): number {
  const byFraction = policy.refreshAtFraction * lifetimeMs;
  const byMargin = lifetimeMs - policy.refreshMarginMs;
  const floor = Math.min(MIN_USE_FRACTION, policy.refreshAtFraction) * lifetimeMs;
  return Math.max(floor, Math.min(byFraction, byMargin));
}
