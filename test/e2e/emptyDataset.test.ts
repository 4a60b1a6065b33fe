import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { customerSchema } from '../../src/simulator/simulatorSchemas.js';
import type { RunReport } from '../../src/report/runReport.js';
import { describeDelivered, getObjectText, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const cases = [
  { format: 'parquet', transform: 'none' },
  { format: 'csv', transform: 'clean' },
  { format: 'ndjson', transform: 'none' },
  { format: 'json', transform: 'clean' },
] as const;

describe('reliability row 16: an empty dataset', () => {
  it.each(cases)(
    '$format, transform $transform: a valid empty file with its schema is uploaded, and a report',
    async ({ format, transform }) => {
      env = await startE2eEnv({ profile: 'calm', records: 0, seed: 3 });
      const runId = `empty-${format}`;
      const report = await runIngestion(env.options({ format, transform, runId, pageSize: 100, schema: customerSchema }), env.context());
      expect(report.error).toBeUndefined();
      expect(report.status).toBe('succeeded');
      expect(report.records).toEqual({ received: 0, unique: 0, duplicates: 0, withoutKey: 0, refused: 0, rejected: 0 });
      expect(report.output?.rows).toBe(0);

      const key = `customers/ingest_date=${INGEST_DATE}/customers_${runId}.${format}`;
      expect(await listKeys(env.client, 'lake', `customers/`)).toEqual([key]);
      const object = await readDelivered(env.client, 'lake', key, format);
      expect(object.rows).toEqual([]);
      if (format === 'parquet' || format === 'csv') {
        // A schema travels with the file: the dataset's columns (and lineage), not a bare header.
        const columns = await describeDelivered(env.client, 'lake', key, format);
        expect(columns).toEqual(expect.arrayContaining([...Object.keys(customerSchema), '_run_id', '_page', '_fetched_at']));
      }
      const stored = JSON.parse(
        await getObjectText(env.client, 'lake', `_reports/customers/ingest_date=${INGEST_DATE}/${runId}.report.json`),
      ) as RunReport;
      expect(stored).toMatchObject({ status: 'succeeded', records: { received: 0, unique: 0 } });
    },
  );
});
