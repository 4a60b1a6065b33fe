import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli } from './support/cliProcess.js';
import { getObjectText, listKeys, readDelivered, type DeliveredObject, type Row, oneTo } from './support/deliveredObject.js';
import type { ExactNumber } from './support/exactJson.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';
import type { SourceRunReport } from '../../src/report/sourceRunReport.js';

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
/** The source's run report of `runId`, where the run wrote it locally (the example's source is named by its file: `simulator`). */
const localSourceReport = (e: E2eEnv, runId: string, ext: 'json' | 'md'): string =>
  join(e.dataDir, 'reports', 'simulator', `${runId}.source.report.${ext}`);
const sourceReportKey = (runId: string, ext: 'json' | 'md'): string =>
  `_reports/simulator/ingest_date=${INGEST_DATE}/${runId}.source.report.${ext}`;

/** The uploaded source report of `runId`, checked to be the bytes written locally. */
async function uploadedSourceReport(e: E2eEnv, runId: string): Promise<SourceRunReport> {
  for (const ext of ['json', 'md'] as const) {
    expect(await getObjectText(e.client, 'lake', sourceReportKey(runId, ext))).toBe(
      await readFile(localSourceReport(e, runId, ext), 'utf8'),
    );
  }
  return JSON.parse(await getObjectText(e.client, 'lake', sourceReportKey(runId, 'json'))) as SourceRunReport;
}

/**
 * The source report's figures against what the lake holds: each delivered resource's rows are its
 * object's rows read back with DuckDB (rows + rejected = unique), each figure equals the one in the
 * resource's own uploaded report, and the totals are their sums.
 */
async function expectFiguresOfTheLake(
  e: E2eEnv,
  report: SourceRunReport,
  delivered: Readonly<Record<string, DeliveredObject>>,
): Promise<void> {
  for (const section of report.resources) {
    const object = delivered[section.dataset];
    if (object) {
      expect(section.objectUri).toBe(`s3://lake/${object.key}`);
      expect(section.rows).toBe(object.rows.length);
      expect(section.records.unique - section.records.rejected).toBe(object.rows.length);
    } else {
      expect(section.objectUri).toBeUndefined();
      expect(section.rows).toBe(0);
    }
    if (section.report.uri !== undefined) {
      const own = JSON.parse(await getObjectText(e.client, 'lake', section.report.uri.replace('s3://lake/', ''))) as {
        records: SourceRunReport['totals']['records'];
        requests: { total: number };
      };
      expect(section.records).toEqual(own.records);
      expect(section.requests).toBe(own.requests.total);
    }
  }
  const sum = (figure: (s: SourceRunReport['resources'][number]) => number): number => report.resources.reduce((t, s) => t + figure(s), 0);
  expect(report.totals.rows).toBe(Object.values(delivered).reduce((t, o) => t + o.rows.length, 0));
  expect(report.totals.records).toEqual({
    received: sum((s) => s.records.received),
    unique: sum((s) => s.records.unique),
    duplicates: sum((s) => s.records.duplicates),
    withoutKey: sum((s) => s.records.withoutKey),
    refused: sum((s) => s.records.refused),
    rejected: sum((s) => s.records.rejected),
  });
  expect(report.totals.requests).toBe(sum((s) => s.requests));
  expect(report.totals.pages.staged).toBe(sum((s) => s.pages.staged));
}

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
      sourceReportKey('shop-1', 'json'),
    ]);

    // One report of the whole run, beside the resources' reports, named on stdout after their summaries.
    const report = await uploadedSourceReport(env, 'shop-1');
    expect(report).toMatchObject({ status: 'succeeded', runId: 'shop-1', source: 'simulator' });
    expect(report.resources.map((r) => [r.dataset, r.status])).toEqual([
      ['customers', 'succeeded'],
      ['orders', 'succeeded'],
    ]);
    await expectFiguresOfTheLake(env, report, { customers, orders });
    expect(report.totals.rows).toBe(1200 + 700);
    expect(report.resources.map((r) => r.report.path)).toEqual([
      join(env.dataDir, 'reports', 'customers', 'shop-1.report.json'),
      join(env.dataDir, 'reports', 'orders', 'shop-1.report.json'),
    ]);
    const stdout = cli.stdout();
    expect(stdout).toContain(`Source report: ${localSourceReport(env, 'shop-1', 'md')} · s3://lake/${sourceReportKey('shop-1', 'md')}\n`);
    expect(stdout.lastIndexOf('SUCCEEDED')).toBeLessThan(stdout.indexOf('Source report: '));
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
    // The run's report is failed, names the failed resource and its error, and still adds up to what was delivered.
    const report = await uploadedSourceReport(env, 'shop-2');
    expect(report).toMatchObject({ status: 'failed', error: '1 of 3 resources failed: missing' });
    expect(report.totals).toMatchObject({ resources: 3, succeeded: 2, failed: 1 });
    const missing = report.resources[2];
    expect(missing).toMatchObject({ dataset: 'missing', status: 'failed', rows: 0 });
    expect(missing?.error).toMatch(/404/);
    expect(missing?.report.path).toBe(join(env.dataDir, 'reports', 'missing', 'shop-2.report.json'));
    await expectFiguresOfTheLake(env, report, {
      customers: await readDelivered(env.client, 'lake', delivered[0]!, 'parquet'),
      orders: await readDelivered(env.client, 'lake', delivered[1]!, 'parquet'),
    });
    expect(await readFile(localSourceReport(env, 'shop-2', 'md'), 'utf8')).toContain('**Status: FAILED**');

    const before = { customers: pageRequests(env, 'customers'), orders: pageRequests(env, 'orders') };
    const rerun = spawnCli(sourceRunArgs(env, source, 'shop-2'), cliEnv(env));
    expect(await rerun.exited).toBe(1);
    // The delivered resources are not fetched again; only the failed one is tried.
    expect({ customers: pageRequests(env, 'customers'), orders: pageRequests(env, 'orders') }).toEqual(before);
    expect(rerun.stdout()).toMatch(/already delivered/);
    expect(rerun.stderr()).toContain('ingest: 1 of 3 resources did not succeed: missing');
  });

  it('a bucket that refuses the run: the source report stays local, and the run says so', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 100, orders: 50, seed: 13 });
    const cli = spawnCli(sourceRunArgs(env, await exampleSource(env), 'shop-3', { bucket: 'no-such-bucket' }), cliEnv(env));
    expect(await cli.exited).toBe(1);
    expect(cli.stdout()).toContain(`Source report: ${localSourceReport(env, 'shop-3', 'md')}\n`);
    expect(cli.stderr()).toMatch(/ingest: the source run report stays local \(.*no-such-bucket/);
    const report = JSON.parse(await readFile(localSourceReport(env, 'shop-3', 'json'), 'utf8')) as SourceRunReport;
    expect(report).toMatchObject({ status: 'failed', error: '2 of 2 resources failed: customers, orders' });
    for (const section of report.resources) expect(section.error).toMatch(/bucket "no-such-bucket" does not exist/);
    expect(report.totals).toMatchObject({ rows: 0, requests: 0 });
  });
});
