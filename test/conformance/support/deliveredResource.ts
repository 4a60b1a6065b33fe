import type { RunReport } from '../../../src/report/runReport.js';
import { getObjectText, idOf, listKeys, readDelivered, type Row } from '../../e2e/support/deliveredObject.js';
import { BUCKET, type Lake } from '../../e2e/support/e2eEnv.js';

export interface DeliveredResource {
  readonly key: string;
  readonly rows: readonly Row[];
  /** The rows' ids, sorted. */
  readonly ids: readonly number[];
  readonly report: RunReport;
}

/**
 * The one Parquet object and the one JSON report a run delivered for resource `name`, found by
 * prefix (the key's file name is the product's to choose), the object read with DuckDB.
 */
export async function deliveredResource(lake: Pick<Lake, 'client'>, name: string): Promise<DeliveredResource> {
  const data = await listKeys(lake.client, BUCKET, `${name}/`);
  const reports = (await listKeys(lake.client, BUCKET, `_reports/${name}/`)).filter((k) => k.endsWith('.report.json'));
  if (data.length !== 1 || reports.length !== 1)
    throw new Error(`expected one object and one report for ${name}, found ${JSON.stringify({ data, reports })}`);
  const { rows } = await readDelivered(lake.client, BUCKET, data[0]!, 'parquet');
  const report = JSON.parse(await getObjectText(lake.client, BUCKET, reports[0]!)) as RunReport;
  return { key: data[0]!, rows, ids: rows.map(idOf).sort((a, b) => a - b), report };
}
