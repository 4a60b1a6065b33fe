import type { AuthSpec } from '../config/sourceSpec.js';
import { isCredentialName } from '../config/secretRefs.js';

/** A login (`POST` a JSON body) or an OAuth 2.0 client-credentials grant, as `api.auth` gives them. */
export type TokenGrant = Extract<AuthSpec, { type: 'login' | 'oauth2' }>;

/**
 * How a token is obtained: all that a login and an OAuth 2.0 client-credentials grant do
 * differently. The token client sends it, follows it, reads the answer and retries the same
 * way for both.
 */
export interface TokenRequest {
  /** What logs and errors call it. */
  readonly what: 'login' | 'token request';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Dotted path of the token in the answer. */
  readonly tokenPath: string;
  /** Dotted path of the token's lifetime in seconds; none: the token is used until a 401. */
  readonly expiresInPath: string | undefined;
  /** A login that names its lifetime's path must answer it; OAuth 2.0's `expires_in` is only recommended (RFC 6749 §5.1). */
  readonly expiresInRequired: boolean;
  /** `Authorization: <scheme> <token>`. */
  readonly scheme: string;
  /** When set, an answer's `token_type` (if any) must be this, case-insensitively. */
  readonly tokenType: string | undefined;
  /** What a refusal tells the user to check (named, never quoted). */
  readonly refusalHint: string;
  /** Every credential the request carries, for redaction. */
  readonly secrets: readonly string[];
}

/** The token endpoint: an absolute URL as it is, a path joined to `baseUrl` keeping its path (`/api` + `/login` is `/api/login`). */
export function tokenUrlOf(baseUrl: string, pathOrUrl: string): string {
  if (/^https?:\/\//i.test(pathOrUrl)) return new URL(pathOrUrl).toString();
  return new URL(`${baseUrl.replace(/\/+$/, '')}/${pathOrUrl.replace(/^\/+/, '')}`).toString();
}

/** `POST` the login body as JSON; the token and its lifetime where the spec says. */
export function loginRequest(baseUrl: string, spec: Extract<TokenGrant, { type: 'login' }>): TokenRequest {
  return {
    what: 'login',
    url: tokenUrlOf(baseUrl, spec.path),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec.body),
    tokenPath: spec.tokenPath,
    expiresInPath: spec.expiresInPath,
    expiresInRequired: spec.expiresInPath !== undefined,
    scheme: spec.scheme,
    tokenType: undefined,
    refusalHint: 'check the username and password',
    secrets: credentialsIn(spec.body),
  };
}

/** The strings under a credential-named field, at any depth (`{ auth: { password } }`, `{ apiKey }`). */
function credentialsIn(value: unknown, credential = false): string[] {
  if (typeof value === 'string') return credential && value !== '' ? [value] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([field, child]) => credentialsIn(child, credential || isCredentialName(field)));
}

/**
 * RFC 6749 §4.4: `grant_type=client_credentials` form-encoded, the client authenticated per
 * §2.3.1 — HTTP Basic over the form-encoded id and secret (Appendix B), or both in the form.
 */
export function clientCredentialsRequest(baseUrl: string, spec: Extract<TokenGrant, { type: 'oauth2' }>): TokenRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (spec.scope !== undefined) form.set('scope', spec.scope);
  if (spec.audience !== undefined) form.set('audience', spec.audience);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const secrets = [spec.clientSecret];
  if (spec.clientAuth === 'basic') {
    const basic = Buffer.from(`${formEncode(spec.clientId)}:${formEncode(spec.clientSecret)}`).toString('base64');
    headers['authorization'] = `Basic ${basic}`;
    secrets.push(basic);
  } else {
    form.set('client_id', spec.clientId);
    form.set('client_secret', spec.clientSecret);
    // The form carries the secret encoded: `+` and `%2F` would slip past a registry holding only its raw form.
    secrets.push(formEncode(spec.clientSecret));
  }
  return {
    what: 'token request',
    url: tokenUrlOf(baseUrl, spec.tokenUrl),
    headers,
    body: form.toString(),
    tokenPath: 'access_token',
    expiresInPath: 'expires_in',
    expiresInRequired: false,
    scheme: 'Bearer',
    tokenType: 'Bearer',
    refusalHint: 'check the client id and secret',
    secrets: [...new Set(secrets)],
  };
}

/** `application/x-www-form-urlencoded` encoding of one value. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
