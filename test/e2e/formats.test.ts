import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunReport } from '../../src/report/runReport.js';
import { getObjectText, listKeys, readDelivered } from './support/deliveredObject.js';
import { customerRequests, INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { eltDifferences, etlDifferences, idOf, oracleById } from './support/oracle.js';
import { customerSchema } from '../../src/simulator/simulatorSchemas.js';

// Calm transport, a little dirt and a few repeats, so that ETL has rejects and the dedupe shows.
const SIM = { profile: 'calm', records: 1200, seed: 7, dirtyRate: 0.05, duplicateRate: 0.02 } as const;
const PAGE_SIZE = 200;
const oracle = oracleById(SIM);

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const cases = (['parquet', 'ndjson', 'csv', 'json'] as const).flatMap((format) =>
  (['none', 'clean'] as const).map((transform) => ({ format, transform })),
);

describe('every format × cleaning mode over real HTTP and S3', () => {
  it.each(cases)(
    '$format, transform $transform: one verified object, report agrees with the simulator and the object',
    async ({ format, transform }) => {
      env = await startE2eEnv(SIM);
      const runId = `m-${format}-${transform}`;
      const report = await runIngestion(
        env.options({ format, transform, runId, pageSize: PAGE_SIZE, schema: customerSchema }),
        env.context(),
      );
      expect(report.error).toBeUndefined();
      expect(report.status).toBe('succeeded');

      // Exactly one object in the data partition, the report beside it under _reports/.
      const partition = `customers/ingest_date=${INGEST_DATE}/`;
      const key = `${partition}customers_${runId}.${format}`;
      expect(await listKeys(env.client, 'lake', partition)).toEqual([key]);
      const reportKeys = await listKeys(env.client, 'lake', '_reports/');
      const base = `_reports/customers/ingest_date=${INGEST_DATE}/${runId}`;
      // The rejects go beside the reports when there are any (ETL); no empty rejects object.
      const rejectsKey = `${base}.rejects.ndjson`;
      expect(reportKeys).toEqual([
        ...(transform === 'clean' ? [rejectsKey] : []),
        `${base}.report.html`,
        `${base}.report.json`,
        `${base}.report.md`,
      ]);
      expect(await getObjectText(env.client, 'lake', `${base}.report.md`)).toContain(`\`${runId}\``);
      expect(await getObjectText(env.client, 'lake', `${base}.report.html`)).toContain('<svg');
      expect(report.delivery).toMatchObject({
        uri: `s3://lake/${key}`,
        status: 'uploaded',
        reportUri: `s3://lake/${base}.report.json`,
        htmlReportUri: `s3://lake/${base}.report.html`,
      });
      expect(report.delivery?.rejectsUri).toBe(transform === 'clean' ? `s3://lake/${rejectsKey}` : undefined);
      const stored = JSON.parse(await getObjectText(env.client, 'lake', `${base}.report.json`)) as RunReport;
      expect(stored).toMatchObject({ status: 'succeeded', runId, records: report.records, pages: report.pages });

      // The report's numbers are the server's own truth.
      const stats = env.sim.stats();
      const pages = Math.ceil(SIM.records / PAGE_SIZE);
      expect(stats.duplicatesServed).toBeGreaterThan(0);
      expect(report.pages).toMatchObject({ staged: pages, total: pages, skippedOnResume: 0, records: stats.recordsServed });
      expect(stats.pagesServed).toBe(pages);
      expect(report.records.received).toBe(stats.recordsServed);
      expect(report.records.unique).toBe(SIM.records);
      expect(report.records.duplicates).toBe(stats.duplicatesServed);
      expect(report.requests.total).toBe(customerRequests(env.sim));

      // The object read back with DuckDB: its rows are the report's, and the oracle's.
      const object = await readDelivered(env.client, 'lake', key, format);
      expect(object.bytes).toBe(report.output?.bytes);
      expect(object.rows.length).toBe(report.output?.rows);
      if (transform === 'none') {
        expect(report.records.rejected).toBe(0);
        expect(eltDifferences(object.rows, format, oracle, runId)).toEqual([]);
      } else {
        // ETL: what is not in the file is in the rejects beside the local output, with its reasons.
        expect(report.records.rejected).toBeGreaterThan(0);
        expect(report.output?.rejectsPath).toBeDefined();
        const localRejects = await readFile(report.output!.rejectsPath!, 'utf8');
        expect(await getObjectText(env.client, 'lake', rejectsKey)).toBe(localRejects);
        const rejects = localRejects
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as { key: string; reasons: string[] });
        expect(rejects).toHaveLength(report.records.rejected);
        expect(object.rows.length + rejects.length).toBe(report.records.unique);
        // The rejects are exactly the customers served with an invalid email (the one dirt cleaning cannot fix).
        const invalidEmail = (v: unknown): boolean => typeof v === 'string' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.trim().toLowerCase());
        const expectedRejects = [...oracle].filter(([, record]) => invalidEmail(record['email'])).map(([id]) => String(id));
        expect(rejects.map((r) => r.key).sort()).toEqual(expectedRejects.sort());
        for (const reject of rejects) expect(reject.reasons).toEqual(['invalid email']);
        const ids = [...object.rows.map(idOf), ...rejects.map((r) => Number(r.key))].sort((a, b) => a - b);
        expect(ids).toEqual(Array.from({ length: SIM.records }, (_, i) => i + 1));
        expect(etlDifferences(object.rows, format, SIM, oracle)).toEqual([]);
      }
    },
  );
});
