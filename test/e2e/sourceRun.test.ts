import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cliProcess.js';
import { listKeys, readDelivered, type Row } from './support/deliveredObject.js';
import type { ExactNumber } from './support/exactJson.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const EXAMPLE = new URL('../../examples/simulator.source.yaml', import.meta.url);

/** The worked example pointed at this environment's simulator, with `extra` resources appended. */
async function exampleSource(e: E2eEnv, extra = ''): Promise<string> {
  const text = (await readFile(EXAMPLE, 'utf8')).replace('http://127.0.0.1:8080', e.sim.url);
  const path = join(e.dataDir, 'simulator.source.yaml');
  await writeFile(path, `${text}${extra}`);
  return path;
}

const cliEnv = (e: E2eEnv): Record<string, string> => ({ SIMULATOR_PASSWORD: 'demo-password', ...s3Env(e) });

const ids = (rows: readonly Row[]): number[] => rows.map((r) => Number((r['id'] as ExactNumber).text)).sort((a, b) => a - b);
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const pageRequests = (e: E2eEnv, endpoint: 'customers' | 'orders'): number =>
  Object.values(e.sim.stats().byEndpoint[endpoint]).reduce((a, b) => a + b, 0);

describe('ingest run --source: several resources in one run', () => {
  it('the worked example: customers (page numbers) and orders (cursor) each land once, with their declared schema', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 1200, orders: 700, seed: 11 });
    const cli = spawnCli([...sourceRunArgs(env, await exampleSource(env), 'shop-1'), '--transform', 'clean'], cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const customersKey = `customers/ingest_date=${INGEST_DATE}/customers_shop-1.parquet`;
    const ordersKey = `orders/ingest_date=${INGEST_DATE}/orders_shop-1.parquet`;
    expect((await listKeys(env.client, 'lake')).filter((k) => !k.startsWith('_'))).toEqual([customersKey, ordersKey]);
    const customers = await readDelivered(env.client, 'lake', customersKey, 'parquet');
    const orders = await readDelivered(env.client, 'lake', ordersKey, 'parquet');
    // Calm data is clean: nothing rejected, every id once.
    expect(ids(customers.rows)).toEqual(oneTo(1200));
    expect(ids(orders.rows)).toEqual(oneTo(700));
    // Each file has its own resource's declared columns, never the other's.
    expect(customers.columns).toEqual(expect.arrayContaining(['email', 'signup_date', 'lifetime_value']));
    expect(orders.columns).toEqual(expect.arrayContaining(['customer_id', 'amount', 'currency']));
    expect(orders.columns).not.toContain('email');
    // One summary per resource on stdout, each its own report.
    expect(cli.stdout().match(/SUCCEEDED/g)?.length).toBe(2);
    expect((await listKeys(env.client, 'lake', '_reports/')).filter((k) => k.endsWith('.report.json'))).toEqual([
      `_reports/customers/ingest_date=${INGEST_DATE}/shop-1.report.json`,
      `_reports/orders/ingest_date=${INGEST_DATE}/shop-1.report.json`,
    ]);
  });

  it('a failed resource does not stop the others; the run exits 1 naming it, and a rerun fetches only what is left', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 600, orders: 300, seed: 12 });
    const broken = `  - name: missing
    path: /no-such-endpoint
    paginator: { type: single }
`;
    const source = await exampleSource(env, broken);
    const first = spawnCli(sourceRunArgs(env, source, 'shop-2'), cliEnv(env));
    expect(await first.exited).toBe(1);
    expect(first.stderr()).toMatch(/ingest: missing: /);
    expect(first.stderr()).toContain('ingest: 1 of 3 resources did not succeed: missing');
    const delivered = (await listKeys(env.client, 'lake')).filter((k) => !k.startsWith('_'));
    expect(delivered).toEqual([
      `customers/ingest_date=${INGEST_DATE}/customers_shop-2.parquet`,
      `orders/ingest_date=${INGEST_DATE}/orders_shop-2.parquet`,
    ]);

    const before = { customers: pageRequests(env, 'customers'), orders: pageRequests(env, 'orders') };
    const rerun = spawnCli(sourceRunArgs(env, source, 'shop-2'), cliEnv(env));
    expect(await rerun.exited).toBe(1);
    // The delivered resources are not fetched again; only the failed one is tried.
    expect({ customers: pageRequests(env, 'customers'), orders: pageRequests(env, 'orders') }).toEqual(before);
    expect(rerun.stdout()).toMatch(/already delivered/);
    expect(rerun.stderr()).toContain('ingest: 1 of 3 resources did not succeed: missing');
  });
});
