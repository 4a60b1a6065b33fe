import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { toJson, expectedCustomers } from '../../src/simulator/index.js';
import { readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';
import { customerSchema, declared } from '../../src/simulator/simulatorSchemas.js';
import { stagingReport } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { join } from 'node:path';

// Hostile data on a mostly calm transport: half the records dirty, repeats across pages, a few 500s.
const SIM = { profile: 'calm', records: 2000, seed: 11, dirtyRate: 0.5, duplicateRate: 0.05, serverErrorRate: 0.1 } as const;
const oracle = oracleById(SIM);

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('duplicates and dirty data, end to end', () => {
  it('the oracle holds every edge value the test is about', () => {
    const served = [...expectedCustomers(SIM)].map((r) => toJson(r)).join('\n');
    for (const edge of [/"lifetime_value":\d{16,}/, /\\u0000/, /😀/, /\\n/, /"city":"=/, /"city":" /, /"phone":null/, /O'Brien \\"/]) {
      expect(served).toMatch(edge);
    }
  });

  it.each(['parquet', 'csv'] as const)(
    'reliability rows 14, 15 (%s, ELT): one copy per id, duplicates counted as served, edge values exact',
    async (format) => {
      env = await startE2eEnv(SIM);
      const runId = `dirty-${format}`;
      const report = await runIngestion(env.options({ format, runId, pageSize: 100 }), env.context());
      expect(report.error).toBeUndefined();
      expect(report.status).toBe('succeeded');
      const stats = env.sim.stats();
      expect(stats.faults.internal_error + stats.faults.bad_gateway).toBeGreaterThan(0);
      expect(stats.duplicatesServed).toBeGreaterThan(20);
      // The report's request counts are the server's: every 5xx retried, nothing else.
      const customers = stats.byEndpoint.customers;
      expect(report.requests.byStatus).toEqual(customers);
      expect(report.requests.retries).toBe((customers['500'] ?? 0) + (customers['502'] ?? 0));
      expect(report.records).toEqual({
        received: stats.recordsServed,
        unique: SIM.records,
        duplicates: stats.duplicatesServed,
        withoutKey: 0,
        refused: 0,
        rejected: 0,
      });

      const object = await readDelivered(env.client, 'lake', `customers/ingest_date=${INGEST_DATE}/customers_${runId}.${format}`, format);
      expect(eltDifferences(object.rows, format, oracle, runId)).toEqual([]);
      if (format === 'csv') {
        // Safe to open in a spreadsheet: no text cell starts a formula.
        const cities = object.rows.map((r) => r['city']).filter((c): c is string => typeof c === 'string');
        expect(cities.some((c) => c.startsWith("'="))).toBe(true);
        expect(cities.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
      }
    },
  );

  it('ETL: a record a cleaning rule rejects is one of the unique records, counted once, and the report adds up', async () => {
    env = await startE2eEnv(SIM);
    const runId = 'dirty-etl';
    const report = await runIngestion(
      env.options({ format: 'ndjson', runId, pageSize: 100, transform: 'clean', schema: customerSchema }),
      env.context(),
    );
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const stats = env.sim.stats();
    const { received, unique, duplicates, withoutKey, rejected } = report.records;
    expect({ received, unique, duplicates, withoutKey }).toEqual({
      received: stats.recordsServed,
      unique: SIM.records,
      duplicates: stats.duplicatesServed,
      withoutKey: 0,
    });
    expect(rejected).toBeGreaterThan(0);
    const object = await readDelivered(env.client, 'lake', `customers/ingest_date=${INGEST_DATE}/customers_${runId}.ndjson`, 'ndjson');
    // Every unique record is in the object or among the rejects, once.
    expect(object.rows.length).toBe(report.output?.rows);
    expect(object.rows.length + rejected).toBe(SIM.records);
    // The rules' figures came from the file's rejects: a scan of the staged records finds the same.
    const store = await StagingStore.open({ path: join(env.dataDir, 'staging', 'customers', `${runId}.duckdb`), runId });
    try {
      const scanned = await stagingReport(store, declared(customerSchema));
      expect(scanned.records.rejectedByRules).toBe(rejected);
      const checked = scanned.columns.filter((c) => c.invalid !== null);
      expect(checked.some((c) => (c.invalid ?? 0) > 0)).toBe(true);
      expect(report.quality.filter((q) => q.invalidRule !== undefined).map((q) => [q.column, q.invalid])).toEqual(
        scanned.columns.filter((c) => c.rule !== null).map((c) => [c.name, c.invalid ?? 0]),
      );
    } finally {
      await store.close();
    }
  });
});
