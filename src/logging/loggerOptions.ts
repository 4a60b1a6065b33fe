import { pino, type LoggerOptions } from 'pino';
import type { Clock } from '../runtime/clock.js';
import { defaultSecretRegistry, isSensitiveKey, REDACTED, redactOptions, type SecretRegistry } from './redaction.js';

const MAX_DEPTH = 12;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` in which fields named in SENSITIVE_KEYS are censored at any depth and
 * every string is scrubbed of registered secret values. Errors become their serialized form
 * (type, message, stack, cause, own fields), scrubbed too.
 */
export function scrubValue(value: unknown, secrets: SecretRegistry, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return secrets.redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Depth]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), secrets, depth + 1, seen);
    if (Array.isArray(value)) return value.map((v: unknown) => scrubValue(v, secrets, depth + 1, seen));
    if (!isPlainObject(value)) {
      // Dates, URLs, Buffers: what JSON would write, scrubbed; other class instances as plain data.
      const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return scrubValue(toJSON.call(value), secrets, depth + 1, seen);
    }
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = isSensitiveKey(key) ? REDACTED : scrubValue(v, secrets, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface RedactingOptions {
  /** Secret values to scrub; defaults to the process-wide registry. */
  readonly secrets?: SecretRegistry;
  /** Timestamps come from this clock (virtual time in simulations); defaults to pino's. */
  readonly clock?: Clock;
  readonly level?: pino.LevelWithSilentOrString;
  /** Bindings on every line (pino `base`); default none (no pid/hostname noise). */
  readonly base?: Record<string, unknown>;
}

/**
 * pino options that keep secrets out of every line, in layers: the shared `redact` paths;
 * `formatters.log`/`bindings` censor sensitive fields at any depth and scrub secret values;
 * `hooks.logMethod` scrubs message and format arguments; `serializers.err` scrubs error
 * messages, stacks and causes; `serializers.msg` scrubs the final message (pino copies an
 * Error's message into it); `hooks.streamWrite` is the last net over the finished line.
 * Children inherit all of it as long as they never pass their own `redact`.
 */
export function redactingLoggerOptions(options: RedactingOptions = {}): LoggerOptions {
  const secrets = options.secrets ?? defaultSecretRegistry;
  const clock = options.clock;
  const result: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.base ?? null,
    redact: { paths: [...redactOptions.paths], censor: REDACTED },
    formatters: {
      log: (object) => scrubLogObject(object, secrets),
      bindings: (bindings) => scrubValue(bindings, secrets) as Record<string, unknown>,
    },
    serializers: {
      err: (err: unknown) => scrubValue(err instanceof Error ? pino.stdSerializers.err(err) : err, secrets),
      msg: (msg: unknown) => (typeof msg === 'string' ? secrets.redact(msg) : msg),
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a: unknown) => (typeof a === 'string' ? secrets.redact(a) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
      streamWrite: (line) => secrets.redact(line),
    },
  };
  if (clock) result.timestamp = () => `,"time":${clock.now()}`;
  return result;
}

/** Top-level `err` stays an Error for `serializers.err`; everything else is scrubbed here. */
function scrubLogObject(object: Record<string, unknown>, secrets: SecretRegistry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (isSensitiveKey(key)) out[key] = REDACTED;
    else if (key === 'err' && value instanceof Error) out[key] = value;
    else out[key] = scrubValue(value, secrets);
  }
  return out;
}
