import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('the report under faults agrees with the server’s own counts', () => {
  it('reliability rows 1-3: the brief’s flaky API (5xx, 503 Retry-After, a 10 req/s limit): data exact, every request and retry counted', async () => {
    const sim = { profile: 'flaky', records: 2000, seed: 21, serverErrorRate: 0.08, unavailableRate: 0.08 } as const;
    env = await startE2eEnv(sim);
    const runId = 'flaky';
    const report = await runIngestion(env.options({ runId, pageSize: 100, format: 'parquet' }), env.context());
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const stats = env.sim.stats();
    const customers = stats.byEndpoint.customers;
    const failures = (customers['500'] ?? 0) + (customers['502'] ?? 0) + (customers['503'] ?? 0);
    expect(failures).toBeGreaterThan(0);
    expect(report.requests.byStatus).toEqual(customers);
    expect(report.requests.retries).toBe(failures);
    expect(report.requests.rateLimited).toBe(customers['429'] ?? 0);
    expect(report.records).toEqual({
      received: stats.recordsServed,
      unique: sim.records,
      duplicates: 0,
      withoutKey: 0,
      refused: 0,
      rejected: 0,
    });
    const object = await readDelivered(env.client, 'lake', `customers/ingest_date=${INGEST_DATE}/customers_${runId}.parquet`, 'parquet');
    expect(eltDifferences(object.rows, 'parquet', oracleById(sim), runId)).toEqual([]);
  });

  it('reliability row 6: tokens that expire mid-run are refreshed; refreshes and 401s match the server’s logins', async () => {
    // Paced at 5 req/s, the run outlives several 1 s tokens.
    const sim = { profile: 'calm', records: 1500, seed: 22, tokenLifetimeSeconds: 1, latency: { kind: 'fixed', ms: 150 } } as const;
    env = await startE2eEnv(sim);
    const report = await runIngestion(env.options({ runId: 'tokens', pageSize: 100, format: 'ndjson', maxRate: 5 }), env.context());
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const stats = env.sim.stats();
    expect(stats.logins.succeeded).toBeGreaterThan(1);
    expect(report.requests.tokenRefreshes).toBe(stats.logins.succeeded - 1);
    expect(report.requests.byStatus).toEqual(stats.byEndpoint.customers);
    expect(report.records.unique).toBe(sim.records);
  });
});
