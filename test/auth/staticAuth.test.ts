import { describe, expect, it } from 'vitest';
import { credentialsFromEnv, NoAuth, StaticBearerAuth } from '../../src/auth/index.js';
import { ConfigError } from '../../src/errors.js';
import { SecretRegistry } from '../../src/logging/index.js';

describe('StaticBearerAuth and NoAuth', () => {
  it('StaticBearerAuth always gives the same header, registers its token as a secret until closed, ignores invalidate', async () => {
    const secrets = new SecretRegistry();
    const auth = new StaticBearerAuth('static-key-123', secrets);
    expect(await auth.getAuthHeader()).toBe('Bearer static-key-123');
    auth.invalidate('Bearer static-key-123');
    expect(await auth.getAuthHeader()).toBe('Bearer static-key-123');
    expect(secrets.redact('key=static-key-123')).toBe('key=[REDACTED]');
    expect(() => new StaticBearerAuth(' ', secrets)).toThrow(/must not be empty/);
    auth.close();
    expect(secrets.size).toBe(0);
  });

  it('NoAuth gives no header', async () => {
    const auth = new NoAuth();
    expect(await auth.getAuthHeader()).toBeUndefined();
    auth.invalidate(undefined);
    await expect(auth.getAuthHeader(AbortSignal.abort(new Error('x')))).rejects.toThrow('x');
  });
});

describe('credentialsFromEnv', () => {
  it('reads INGEST_USERNAME / INGEST_PASSWORD', () => {
    expect(credentialsFromEnv({ INGEST_USERNAME: 'demo', INGEST_PASSWORD: 'demo-password' })).toEqual({
      username: 'demo',
      password: 'demo-password',
    });
    expect(credentialsFromEnv({})).toBeUndefined();
    expect(credentialsFromEnv({ INGEST_USERNAME: '', INGEST_PASSWORD: '' })).toBeUndefined();
  });

  it('refuses half a pair, naming the missing variable and never the value', () => {
    expect(() => credentialsFromEnv({ INGEST_PASSWORD: 'pw-canary-1' })).toThrow(ConfigError);
    try {
      credentialsFromEnv({ INGEST_PASSWORD: 'pw-canary-1' });
    } catch (error: unknown) {
      expect((error as ConfigError).problems).toEqual(['INGEST_USERNAME is not set, but INGEST_PASSWORD is']);
      expect((error as ConfigError).message).not.toContain('pw-canary-1');
    }
    expect(() => credentialsFromEnv({ INGEST_USERNAME: 'demo' })).toThrow(/INGEST_PASSWORD is not set/);
  });
});
