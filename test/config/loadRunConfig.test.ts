import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { problemsOf } from '../support/problemsOf.js';
import { loadRunConfig } from '../../src/config/loadRunConfig.js';

const now = new Date('2026-11-28T10:00:00Z');
const base = { apiUrl: 'http://127.0.0.1:8080', bucket: 'my-bucket', username: 'demo' };
const env = { INGEST_PASSWORD: 'pw-canary-123' };

describe('loadRunConfig', () => {
  it('applies defaults and derives dataset, ingest date and run id', async () => {
    const config = await loadRunConfig({ flags: base, env, now });
    expect(config.resources.map((r) => [r.name, r.path])).toEqual([['customers', '/customers']]);
    expect(config).toMatchObject({
      ingestDate: '2026-11-28',
      runId: '2026-11-28',
      format: 'parquet',
      transform: 'none',
      pageSize: 1000,
      password: 'pw-canary-123',
    });
  });

  it('layers file < env < flags and coerces strings from env', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-config-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ ...base, format: 'csv', pageSize: 10, prefix: 'from-file' }));
    const config = await loadRunConfig({
      configFile: file,
      env: { ...env, INGEST_PAGE_SIZE: '250', INGEST_PREFIX: 'from-env', INGEST_S3_FORCE_PATH_STYLE: 'true' },
      flags: { prefix: 'from-flag' },
      now,
    });
    expect(config.format).toBe('csv');
    expect(config.pageSize).toBe(250);
    expect(config.prefix).toBe('from-flag');
    expect(config.s3ForcePathStyle).toBe(true);
  });

  it('lists every problem at once: unknown format, bad URL, negative limits, unknown keys, missing secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-config-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ colour: 'blue' }));
    const problems = await problemsOf(
      loadRunConfig({
        configFile: file,
        flags: { apiUrl: 'not a url', bucket: 'b', format: 'xlsx', pageSize: '-5', maxAttemptsPerPage: '0' },
        env: {},
        now,
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/unknown option: colour/);
    expect(text).toMatch(/apiUrl: expected an http\(s\) URL/);
    expect(text).toMatch(/bucket: expected an S3 bucket name/);
    expect(text).toMatch(/format: /);
    expect(text).toMatch(/pageSize: /);
    expect(text).toMatch(/maxAttemptsPerPage: /);
    expect(problems.length).toBeGreaterThanOrEqual(6);
  });

  it('names missing required options with their flag and variable', async () => {
    const problems = await problemsOf(loadRunConfig({ flags: {}, env: {}, now }));
    expect(problems).toContain('apiUrl: required (flag --api-url or INGEST_API_URL), or a source file (--source)');
    expect(problems).toContain('bucket: required (flag --bucket or INGEST_BUCKET)');
  });

  it('refuses secrets on the command line or in the config file, and never echoes them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-config-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ token: 'tok-canary-456' }));
    const error = await loadRunConfig({ configFile: file, flags: { ...base, password: 'pw-canary-123' }, env: {}, now }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/password: pass it in INGEST_PASSWORD or passwordFile/);
    expect(message).toMatch(/token: keep it out of the config file/);
    expect(message).not.toContain('pw-canary-123');
    expect(message).not.toContain('tok-canary-456');
  });

  it('reads secrets from files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-config-'));
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'from-file-secret\n');
    const config = await loadRunConfig({ flags: { ...base, passwordFile }, env: {}, now });
    expect(config.password).toBe('from-file-secret');
    const problems = await problemsOf(loadRunConfig({ flags: { ...base, passwordFile: join(dir, 'missing') }, env: {}, now }));
    expect(problems.join('\n')).toMatch(/passwordFile: cannot read/);
  });

  it('requires the secrets its auth mode needs', async () => {
    expect(await problemsOf(loadRunConfig({ flags: { ...base, auth: 'bearer' }, env: {}, now }))).toEqual([
      'auth=bearer needs a token (INGEST_TOKEN or tokenFile)',
    ]);
    const config = await loadRunConfig({ flags: { ...base, auth: 'none' }, env: {}, now });
    expect(config.auth).toBe('none');
  });
});
