import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  isSensitiveKey,
  MIN_SCRUBBED_SECRET_LENGTH,
  REDACT_PATHS,
  redactingLoggerOptions,
  redactSecrets,
  SecretRegistry,
  SENSITIVE_KEYS,
} from '../../src/logging/index.js';

describe('redactSecrets', () => {
  it('replaces every occurrence, raw, URL-encoded and JSON-escaped, longest secret first', () => {
    const secret = 'p@ss "word"/1';
    const text = `a ${secret} b ${encodeURIComponent(secret)} c ${JSON.stringify(secret)} d ${secret}`;
    expect(redactSecrets(text, [secret])).toBe('a [REDACTED] b [REDACTED] c "[REDACTED]" d [REDACTED]');
    expect(redactSecrets('abcdefgh', ['abcdef', 'abcdefgh'])).toBe('[REDACTED]');
    expect(redactSecrets('no secrets here', [])).toBe('no secrets here');
    expect(redactSecrets('a.*+?^$b.c', ['.*+?^$', ''])).toBe('a[REDACTED]b.c');
  });

  it(`leaves a secret shorter than ${MIN_SCRUBBED_SECRET_LENGTH} characters in text: it would match everywhere and protects nothing`, () => {
    const report = 'dataset sales, sha256 a3f9c1, 12345 records';
    expect(redactSecrets(report, ['a', 's', '1234', '12345'])).toBe(report);
    expect(redactSecrets(report, ['a3f9c1'])).toBe('dataset sales, sha256 [REDACTED], 12345 records');
    const registry = new SecretRegistry();
    registry.register('a');
    expect(registry.redact(report)).toBe(report);
  });
});

describe('SecretRegistry', () => {
  it('scrubs registered values until every holder unregisters', () => {
    const registry = new SecretRegistry();
    const first = registry.register('tok-123');
    const second = registry.register('tok-123');
    registry.register(undefined);
    registry.register('');
    expect(registry.size).toBe(1);
    expect(registry.redact('x tok-123 y')).toBe('x [REDACTED] y');
    first();
    first();
    expect(registry.redact('x tok-123 y')).toBe('x [REDACTED] y');
    second();
    expect(registry.size).toBe(0);
    expect(registry.redact('x tok-123 y')).toBe('x tok-123 y');
  });
});

describe('the shared redaction list', () => {
  it('names the required secrets and expands them to pino paths at several depths', () => {
    for (const key of [
      'password',
      'token',
      'tokens',
      'access_token',
      'refresh_token',
      'secret',
      'secrets',
      'authorization',
      'Authorization',
      'accessKeyId',
      'secretAccessKey',
      'sessionToken',
      'AWS_SECRET_ACCESS_KEY',
      'credentials',
    ]) {
      expect(isSensitiveKey(key), key).toBe(true);
    }
    expect(isSensitiveKey('username')).toBe(false);
    expect(REDACT_PATHS).toEqual(
      expect.arrayContaining([
        'password',
        '*.password',
        '*.*.password',
        'req.headers.authorization',
        'headers.Authorization',
        'req.headers["x-api-key"]',
      ]),
    );
    expect(new Set(REDACT_PATHS).size).toBe(REDACT_PATHS.length);
    expect(SENSITIVE_KEYS.length).toBeGreaterThan(10);
  });

  it('survives child loggers, which must not (and need not) bring their own redact', () => {
    const lines: string[] = [];
    const root = pino(redactingLoggerOptions({ secrets: new SecretRegistry() }), { write: (s: string) => void lines.push(s) });
    root
      .child({ module: 'a' })
      .child({ component: 'b' })
      .info({ password: 'pw-1', deep: { headers: { authorization: 'Bearer z9' } } }, 'x');
    // The trap this design avoids: a child with its own redact loses the shared list.
    root.child({}, { redact: ['other'] }).info({ password: 'pw-2' }, 'y');
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      module: 'a',
      component: 'b',
      password: '[REDACTED]',
      deep: { headers: { authorization: '[REDACTED]' } },
    });
    // Even then, the deep scrubber (formatters.log, inherited) still censors the field.
    expect(second).toMatchObject({ password: '[REDACTED]' });
  });
});
