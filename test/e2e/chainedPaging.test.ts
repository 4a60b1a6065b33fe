import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedOrders } from '../../src/simulator/index.js';
import { spawnCli } from './support/cliProcess.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
let server: Server | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
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
    server = createServer((req, res) => {
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('p') ?? '1');
      const records = Array.from({ length: page < 3 ? 10 : 4 }, (_, i) => ({ id: (page - 1) * 10 + i + 1, name: `item ${page}.${i}` }));
      const { port } = server!.address() as AddressInfo;
      if (page < 3) res.setHeader('link', `<http://127.0.0.1:${port}/items?p=${page + 1}>; rel="next"`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: records }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = await startE2eEnv({ profile: 'calm', records: 10, seed: 1 });
    const cli = spawnCli(freshRun(env, `http://127.0.0.1:${port}`, '/items', ['--auth', 'none', '--pagination', 'link']), cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const [key] = await listKeys(env.client, 'lake', 'items/');
    const object = await readDelivered(env.client, 'lake', key!, 'ndjson');
    expect(object.rows.map(idOf).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  });
});
