import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import { startS3Proxy, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { spawnCli } from './support/cliProcess.js';
import { listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

// Each run option that no other end-to-end test exercises, through runIngestion against the
// simulator over HTTP and s3rver, with its effect seen in the delivered object or the failure.
const RECORDS = 300;
let env: E2eEnv;
let failing: RunningSimulator;
let limited: RunningSimulator;
let flaky: RunningSimulator;
let proxy: RunningS3Proxy;

beforeAll(async () => {
  env = await startE2eEnv({ profile: 'calm', records: RECORDS, orders: 120, seed: 41 });
  [failing, limited, flaky, proxy] = await Promise.all([
    startSimulator({ profile: 'calm', records: RECORDS, seed: 42, serverErrorRate: 1, faultsOnLogin: false }),
    startSimulator({ profile: 'calm', records: RECORDS, seed: 43, rateLimit: 1, rateLimitBurst: 1 }),
    startSimulator({ profile: 'calm', records: RECORDS, seed: 44, serverErrorRate: 0.5, faultsOnLogin: false }),
    startS3Proxy(env.s3.endpoint),
  ]);
});
afterAll(async () => {
  await Promise.all([failing?.close(), limited?.close(), flaky?.close(), proxy?.close()]);
  await env?.close();
});

/** Each run under its own prefix: in the shared lake, a partition holds one run's data file. */
const runOptions = (overrides: Parameters<E2eEnv['options']>[0] & { runId: string }): ReturnType<E2eEnv['options']> =>
  env.options({ prefix: overrides.runId, ...overrides });
const partition = (runId: string): string => `${runId}/customers/ingest_date=${INGEST_DATE}/`;

describe('every run option has an effect (runIngestion, simulator over HTTP, s3rver)', () => {
  it('endpoint + pagination=cursor + dataset + prefix + keyTemplate: every order, at the templated key', async () => {
    const report = await runIngestion(
      runOptions({
        runId: 'opt-cursor',
        endpoint: '/orders',
        pagination: 'cursor',
        dataset: 'orders',
        prefix: 'zone-a',
        keyTemplate: '{prefix}/{dataset}/{yyyy}/{mm}/{dd}/{run_id}.{ext}',
        format: 'ndjson',
        pageSize: 50,
      }),
      env.context(),
    );
    expect(report.error).toBeUndefined();
    const key = `zone-a/orders/${INGEST_DATE.replaceAll('-', '/')}/opt-cursor.ndjson`;
    expect(await listKeys(env.client, 'lake', 'zone-a/orders/')).toEqual([key]);
    const object = await readDelivered(env.client, 'lake', key, 'ndjson');
    expect(object.rows).toHaveLength(120);
  });

  it('recordsPath: a path the responses do not have fails the run, naming it; nothing delivered', async () => {
    const report = await runIngestion(
      runOptions({ runId: 'opt-path', recordsPath: 'payload.items', maxAttemptsPerPage: 2 }),
      env.context(),
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/the body has no array of records at "payload\.items"/);
    expect(await listKeys(env.client, 'lake', `${partition('opt-path')}customers_opt-path`)).toEqual([]);
  });

  it('keyField: records are deduplicated by the named field', async () => {
    // Every customer has its own id but shares its country with others: one row per country.
    const report = await runIngestion(runOptions({ runId: 'opt-key', keyField: 'country', format: 'ndjson' }), env.context());
    expect(report.error).toBeUndefined();
    const object = await readDelivered(env.client, 'lake', `${partition('opt-key')}customers_opt-key.ndjson`, 'ndjson');
    const countries = object.rows.map((row) => String(row['country']));
    expect(new Set(countries).size).toBe(countries.length);
    expect(countries.length).toBeLessThan(RECORDS);
  });

  it('maxPages: more pages than allowed fails the run', async () => {
    const report = await runIngestion(runOptions({ runId: 'opt-maxpages', pageSize: 100, maxPages: 2 }), env.context());
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/2 pages|maxPages|max-pages/i);
  });

  it('passwordFile: the password read from a file logs in; loginPath: another path is where it logs in', async () => {
    const file = join(env.dataDir, 'password.txt');
    await writeFile(file, 'demo-password\n');
    const { password: _unused, ...withoutPassword } = runOptions({ runId: 'opt-pwfile' });
    const report = await runIngestion({ ...withoutPassword, passwordFile: file }, env.context());
    expect(report.error).toBeUndefined();
    expect(await listKeys(env.client, 'lake', `${partition('opt-pwfile')}customers_opt-pwfile`)).toHaveLength(1);

    const elsewhere = await runIngestion(runOptions({ runId: 'opt-login', loginPath: '/sign-in' }), env.context());
    expect(elsewhere.status).toBe('failed');
    expect(elsewhere.error).toMatch(/sign-in/);
  });

  it('auth=bearer + tokenFile: a token read from a file is sent', async () => {
    const login = await fetch(new URL('/login', env.sim.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    const file = join(env.dataDir, 'token.txt');
    await writeFile(file, token);
    const { password: _p, username: _u, ...rest } = runOptions({ runId: 'opt-token' });
    const report = await runIngestion({ ...rest, auth: 'bearer', tokenFile: file }, env.context());
    expect(report.error).toBeUndefined();
    const object = await readDelivered(env.client, 'lake', `${partition('opt-token')}customers_opt-token.parquet`, 'parquet');
    expect(object.rows).toHaveLength(RECORDS);
  });

  it('duckdbTempDir: the spill directory is the one named; duckdbMemoryLimit: a limit too small fails the run', async () => {
    const spill = join(env.dataDir, 'spill-here');
    const report = await runIngestion(runOptions({ runId: 'opt-spill', duckdbTempDir: spill }), env.context());
    expect(report.error).toBeUndefined();
    expect(existsSync(spill)).toBe(true);

    await expect(runIngestion(runOptions({ runId: 'opt-memory', duckdbMemoryLimit: '1KB' }), env.context())).rejects.toThrow(
      /Out of Memory.*1000 bytes/,
    );
  });

  it('s3Region: requests are signed for the named region', async () => {
    const report = await runIngestion(
      runOptions({ runId: 'opt-region', s3Endpoint: proxy.endpoint, s3Region: 'eu-west-3' }),
      env.context(),
    );
    expect(report.error).toBeUndefined();
    const signed = proxy.requests.map((r) => String(r.headers['authorization']));
    expect(signed.length).toBeGreaterThan(0);
    expect(signed.every((auth) => auth.includes('/eu-west-3/s3/aws4_request'))).toBe(true);
  });

  it('maxAttemptsPerPage: a page that always fails is given up after that many attempts', async () => {
    const before = failing.stats().byEndpoint.customers;
    const report = await runIngestion(
      runOptions({ runId: 'opt-attempts', apiUrl: failing.url, maxAttemptsPerPage: 1, pageSize: 300 }),
      env.context(),
    );
    expect(report.status).toBe('failed');
    const after = failing.stats().byEndpoint.customers;
    const sent = (s: typeof after): number => Object.values(s).reduce((a, b) => a + b, 0);
    expect(sent(after) - sent(before)).toBe(1);
  });

  it('deadlineSeconds: a run past its deadline fails, naming it', async () => {
    const report = await runIngestion(
      runOptions({ runId: 'opt-deadline', apiUrl: failing.url, deadlineSeconds: 0.2, maxAttemptsPerPage: 100 }),
      env.context(),
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/deadline of 0\.2 s/);
  });

  it('maxWaitSeconds: a Retry-After longer than allowed fails the run', async () => {
    const report = await runIngestion(
      runOptions({ runId: 'opt-wait', apiUrl: limited.url, rateLimit: 50, maxWaitSeconds: 0.5, pageSize: 50 }),
      env.context(),
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/more than the allowed 0\.5 s/);
  });

  it('maxRetryShare: retries beyond that share of all requests fail the run (a flaky API: half the pages fail once or more)', async () => {
    const report = await runIngestion(
      runOptions({ runId: 'opt-share', apiUrl: flaky.url, maxRetryShare: 0.05, maxAttemptsPerPage: 100, pageSize: 5, rateLimit: 500 }),
      env.context(),
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/retries passed 5% of all requests/);
  });

  it('auth=none: no login is made, and the API that wants one refuses the pages', async () => {
    const logins = env.sim.stats().logins.succeeded;
    const { password: _p, username: _u, ...rest } = runOptions({ runId: 'opt-noauth', maxAttemptsPerPage: 2 });
    const report = await runIngestion({ ...rest, auth: 'none' }, env.context());
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/401/);
    expect(env.sim.stats().logins.succeeded).toBe(logins);
  });

  it('CLI --log-level and --log-dir: the console shows that level, the error log is opened in that directory', async () => {
    const logDir = join(env.dataDir, 'elsewhere-logs');
    const args = (level: string): string[] => [
      ...['run', '--api-url', env.sim.url, '--username', 'demo', '--bucket', 'lake', '--s3-endpoint', env.s3.endpoint],
      ...['--s3-force-path-style', '--data-dir', env.dataDir, '--run-id', `opt-log-${level}`, '--no-progress'],
      ...['--records-path', 'nowhere', '--max-attempts-per-page', '1', '--log-dir', logDir, '--log-level', level],
    ];
    const keys = {
      INGEST_PASSWORD: 'demo-password',
      AWS_ACCESS_KEY_ID: env.s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.s3.credentials.secretAccessKey,
    };
    const debug = spawnCli(args('debug'), keys);
    expect(await debug.exited).not.toBe(0);
    const quiet = spawnCli(args('fatal'), keys);
    expect(await quiet.exited).not.toBe(0);
    expect(debug.stderr()).toMatch(/^{"level":20,.*"msg":"logging in"}$/m);
    // At `fatal` no log line reaches the console: only the run's one failure sentence (not a log line).
    expect(quiet.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^ingest: Fetching pages failed: /)]);
    // The error log is opened in the named directory (a failed run writes no error line to it yet).
    expect(existsSync(join(logDir, 'app.log'))).toBe(true);
    expect(existsSync(join(env.dataDir, 'logs', 'app.log'))).toBe(false);
  });
});
