import { afterEach, describe, expect, it } from 'vitest';
import { expectedOrders } from '../../src/simulator/index.js';
import { spawnCli } from './support/cliProcess.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { startHttpApi, type RunningHttpApi } from '../support/startHttpApi.js';

let env: E2eEnv | undefined;
let api: RunningHttpApi | undefined;
afterEach(async () => {
  await env?.close();
  await api?.close();
  env = api = undefined;
});

/** `ingest run` flags for a fresh run of `endpoint` against `apiUrl`, delivering NDJSON to the test's S3. */
function freshRun(e: E2eEnv, apiUrl: string, endpoint: string, extra: readonly string[]): string[] {
  return [
    'run',
    ...['--api-url', apiUrl, '--endpoint', endpoint, '--bucket', 'lake', '--s3-endpoint', e.s3.endpoint, '--s3-force-path-style'],
    ...['--checksum', 'SHA256', '--format', 'ndjson', '--data-dir', e.dataDir, '--ingest-date', INGEST_DATE, '--no-progress'],
    ...['--log-level', 'warn', ...extra],
  ];
}

const cliEnv = (e: E2eEnv): Record<string, string> => ({
  INGEST_PASSWORD: 'demo-password',
  AWS_ACCESS_KEY_ID: e.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: e.s3.credentials.secretAccessKey,
});

describe('chained pagination through ingest run, from a fresh start', () => {
  it('--pagination cursor: every order once (a fresh run has no checkpoint to resume from)', async () => {
    const sim = { profile: 'calm', records: 50, orders: 730, seed: 2 } as const;
    env = await startE2eEnv(sim);
    const cli = spawnCli(
      freshRun(env, env.sim.url, '/orders', ['--username', 'demo', '--pagination', 'cursor', '--page-size', '100']),
      cliEnv(env),
    );
    expect(await cli.exited, cli.stderr()).toBe(0);
    const [key] = await listKeys(env.client, 'lake', 'orders/');
    const object = await readDelivered(env.client, 'lake', key!, 'ndjson');
    const ids = object.rows.map(idOf).sort((a, b) => a - b);
    expect(ids).toEqual([...expectedOrders(sim)].map((o) => Number(o['id'])).sort((a, b) => a - b));
  });

  it('--pagination link: follows rel="next" to the end, every record once', async () => {
    // A plain API of 3 pages chained by `Link` headers, no auth.
    api = await startHttpApi(({ url }, origin) => {
      const page = Number(url.searchParams.get('p') ?? '1');
      const records = Array.from({ length: page < 3 ? 10 : 4 }, (_, i) => ({ id: (page - 1) * 10 + i + 1, name: `item ${page}.${i}` }));
      return { body: { data: records }, ...(page < 3 ? { headers: { link: `<${origin}/items?p=${page + 1}>; rel="next"` } } : {}) };
    });
    env = await startE2eEnv({ profile: 'calm', records: 10, seed: 1 });
    const cli = spawnCli(freshRun(env, api.url, '/items', ['--auth', 'none', '--pagination', 'link']), cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const [key] = await listKeys(env.client, 'lake', 'items/');
    const object = await readDelivered(env.client, 'lake', key!, 'ndjson');
    expect(object.rows.map(idOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });

  it("--records-path '$': a bare JSON array body, paged by the flags alone", async () => {
    // A bare array of 23 records, paged by offset and limit, with no total: the short page ends it.
    api = await startHttpApi(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      return { body: Array.from({ length: Math.max(0, Math.min(limit, 23 - offset)) }, (_, i) => ({ id: offset + i + 1 })) };
    });
    env = await startE2eEnv({ profile: 'calm', records: 10, seed: 1 });
    const args = ['--auth', 'none', '--pagination', 'offset', '--page-size', '5', '--records-path', '$'];
    const cli = spawnCli(freshRun(env, api.url, '/things', args), cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const [key] = await listKeys(env.client, 'lake', 'things/');
    const object = await readDelivered(env.client, 'lake', key!, 'ndjson');
    expect(object.rows.map(idOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });
});
