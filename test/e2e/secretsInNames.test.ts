import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cliProcess.js';
import { getObjectBytes, listKeys } from './support/deliveredObject.js';
import { filesUnder } from './support/filesUnder.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

function runArgs(e: E2eEnv, apiUrl: string, extra: readonly string[]): string[] {
  return [
    'run',
    ...['--api-url', apiUrl, '--username', 'demo', '--bucket', 'lake', '--s3-endpoint', e.s3.endpoint, '--s3-force-path-style'],
    ...['--checksum', 'SHA256', '--format', 'ndjson', '--data-dir', e.dataDir, '--log-dir', join(e.dataDir, 'logs')],
    ...['--ingest-date', INGEST_DATE, '--no-progress', '--log-level', 'info', ...extra],
  ];
}

const cliEnv = (e: E2eEnv): Record<string, string> => ({
  INGEST_PASSWORD: 'demo-password',
  AWS_ACCESS_KEY_ID: e.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: e.s3.credentials.secretAccessKey,
});

describe('secrets never become names', () => {
  it('an API key in the endpoint query names nothing: the dataset comes from the path, the key is in no key, file, log or report', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 120, seed: 3 });
    const canary = 'K-canary-7f3a9';
    const cli = spawnCli(runArgs(env, env.sim.url, ['--endpoint', `/customers?api_key=${canary}`, '--page-size', '50']), cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(`${cli.stdout()}${cli.stderr()}`).not.toContain(canary);
    const keys = await listKeys(env.client, 'lake');
    expect(keys.filter((k) => !k.includes('_reports/') && !k.startsWith('_schemas/'))).toEqual([
      `customers/ingest_date=${INGEST_DATE}/customers_${INGEST_DATE}.ndjson`,
    ]);
    for (const key of keys) {
      expect(key).not.toContain(canary);
      expect((await getObjectBytes(env.client, 'lake', key)).includes(canary), key).toBe(false);
    }
    const files = await filesUnder(env.dataDir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      expect(file.name).not.toContain(canary);
      expect(file.bytes.includes(canary), file.name).toBe(false);
    }
  });

  it('credentials in the API URL are refused before any request (exit 2), naming the way to pass them, never echoing them', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 10, seed: 3 });
    const canary = 'pw-canary-51c2';
    const url = new URL(env.sim.url);
    url.username = 'demo';
    url.password = canary;
    const cli = spawnCli(runArgs(env, url.toString(), []), cliEnv(env));
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(
      /apiUrl: holds credentials \(user:password@\): pass the user with --username and the password in INGEST_PASSWORD/,
    );
    expect(`${cli.stdout()}${cli.stderr()}`).not.toContain(canary);
    for (const file of await filesUnder(env.dataDir)) expect(file.bytes.includes(canary), file.name).toBe(false);
    expect(await env.sim.stats()).toMatchObject({ requests: 0 });
  });

  it.each([
    ['{prefix}/_reports/{dataset}/{run_id}.{ext}', /inside _reports\/, which holds the runs' reports/],
    ['{prefix}/_schemas/{dataset}_{run_id}.{ext}', /inside _schemas\/, which holds the runs' schemas/],
  ])("a key template %s, in the reports' or schemas' place, is refused before any request (exit 2)", async (template, problem) => {
    env = await startE2eEnv({ profile: 'calm', records: 10, seed: 3 });
    const cli = spawnCli(runArgs(env, env.sim.url, ['--key-template', template]), cliEnv(env));
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(problem);
    expect(await env.sim.stats()).toMatchObject({ requests: 0 });
    expect(await listKeys(env.client, 'lake')).toEqual([]);
  });
});
