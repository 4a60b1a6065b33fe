/** What replaces a secret in every log line. */
export const REDACTED = '[REDACTED]';

/**
 * THE shared list of field names whose values are secret, wherever they appear in a logged
 * object. Matched case-insensitively by the deep scrubber; expanded to pino `redact` paths
 * below. Extend this list, never a child logger's options (a child's own `redact` replaces
 * its parent's: a known pino trap).
 */
export const SENSITIVE_KEYS: readonly string[] = [
  'password',
  'passwd',
  'token',
  'tokens',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'id_token',
  'secret',
  'secrets',
  'client_secret',
  'clientSecret',
  'api_key',
  'apiKey',
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'credentials',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'INGEST_PASSWORD',
];

const sensitiveLower = new Set(SENSITIVE_KEYS.map((k) => k.toLowerCase()));

/** True when a field of this name holds a secret. */
export function isSensitiveKey(key: string): boolean {
  return sensitiveLower.has(key.toLowerCase());
}

function pathSegment(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
}

function join(prefix: string, key: string): string {
  const seg = pathSegment(key);
  if (prefix === '' || seg.startsWith('[')) return `${prefix}${seg}`;
  return `${prefix}.${seg}`;
}

/**
 * pino `redact` paths derived from SENSITIVE_KEYS: top level, one and two levels down
 * (wildcards), and the header spellings of HTTP request/response objects. The deep scrubber
 * (see `loggerOptions.ts`) covers any depth; these paths are pino's own line of defence.
 */
export const REDACT_PATHS: readonly string[] = (() => {
  const paths = new Set<string>();
  const keys = [...SENSITIVE_KEYS, 'Authorization', 'Cookie'];
  for (const key of keys) {
    paths.add(join('', key));
    paths.add(join('*', key));
    paths.add(join('*.*', key));
    for (const holder of ['headers', 'req.headers', 'res.headers', 'request.headers', 'response.headers', 'init.headers']) {
      paths.add(join(holder, key));
    }
  }
  return [...paths];
})();

/** pino's `redact` option built from the shared list. */
export const redactOptions = { paths: [...REDACT_PATHS], censor: REDACTED } as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The shortest secret value scrubbed from free text. A shorter one would match ordinary text
 * (a one-character password turned every "a" in report names and hashes into `[REDACTED]`) while
 * protecting nothing: no credential that short resists guessing. Fields named as secrets
 * (`SENSITIVE_KEYS`) are redacted whole whatever their length.
 */
export const MIN_SCRUBBED_SECRET_LENGTH = 6;

/** True when `secret` is long enough to be scrubbed from text (`MIN_SCRUBBED_SECRET_LENGTH`). */
export const isScrubbable = (secret: string): boolean => secret.length >= MIN_SCRUBBED_SECRET_LENGTH;

/** The forms a secret takes in text: raw, URL-encoded, and JSON-escaped. */
function spellings(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].filter((f) => f.length > 0);
}

/**
 * One pattern (global) matching every spelling of every scrubbable secret, longest first, or
 * undefined when none is long enough to scrub.
 */
export function secretPattern(secrets: Iterable<string>): RegExp | undefined {
  const forms = new Set<string>();
  for (const s of secrets) if (isScrubbable(s)) for (const f of spellings(s)) forms.add(f);
  if (forms.size === 0) return undefined;
  // Longest first, so that a secret containing another is replaced whole.
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(alternatives.join('|'), 'g');
}

/** Whether `text` holds a match of `secretPattern`'s `pattern` (global: searched from the start, not from its last match). */
export function holdsSecret(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

/** Replaces every occurrence of each scrubbable secret (raw, URL-encoded or JSON-escaped) in `text`. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const pattern = secretPattern(secrets);
  return pattern ? text.replace(pattern, REDACTED) : text;
}

/**
 * Known secret VALUES (passwords, tokens, keys) to scrub from any text a logger writes:
 * messages, error messages and stacks, URLs. Field names alone cannot catch a secret that
 * hides inside free text; this can.
 */
export class SecretRegistry {
  readonly #secrets = new Map<string, number>();
  #pattern: RegExp | undefined;
  #dirty = false;

  /**
   * Adds a secret; returns a function that removes it again (reference-counted, so two
   * holders of the same value do not unregister each other). Empty values are ignored.
   */
  register(value: string | undefined): () => void {
    if (value === undefined || value === '') return () => undefined;
    this.#secrets.set(value, (this.#secrets.get(value) ?? 0) + 1);
    this.#dirty = true;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.#secrets.get(value) ?? 1) - 1;
      if (n <= 0) this.#secrets.delete(value);
      else this.#secrets.set(value, n);
      this.#dirty = true;
    };
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** `text` with every registered secret (of `MIN_SCRUBBED_SECRET_LENGTH` or more) replaced by `[REDACTED]`. */
  redact(text: string): string {
    if (this.#dirty) {
      this.#pattern = secretPattern(this.#secrets.keys());
      this.#dirty = false;
    }
    if (!this.#pattern) return text;
    this.#pattern.lastIndex = 0;
    return text.replace(this.#pattern, REDACTED);
  }
}

/**
 * The process-wide registry that loggers built by this module consult by default. Whoever
 * learns a secret (config loader, AuthClient, S3 setup) registers it here.
 */
export const defaultSecretRegistry = new SecretRegistry();

/** Registers a secret value in the process-wide registry; returns its unregister function. */
export function registerSecret(value: string | undefined): () => void {
  return defaultSecretRegistry.register(value);
}
