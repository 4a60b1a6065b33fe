import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagingStore } from '../../src/staging/index.js';
import { stagingReport, writeFinalFile, type OutputFormat } from '../../src/output/index.js';
import { customerAt } from '../../src/simulator/customerAt.js';
import { toJson } from '../../src/simulator/toJson.js';
import { query } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';
import { customerSchema, declared } from '../../src/simulator/simulatorSchemas.js';

// 20,000 simulator customers (2% dirty) under the DuckDB memory limit recommended for a whole
// run under 300 MB RSS, with the store's default single thread. The former writer and report
// (a window over every record, json_group_structure over every record, one JSON parse of the
// whole record per column) failed here already at 64 and 96 MB ("failed to allocate data of
// size 32.0 MiB"), and at 100k records even with 256 MB.
const PAGE = 1000;
const PAGES = 20;
const LIMIT = '80MB';

let dir: string;
let store: StagingStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bounded-'));
  store = await StagingStore.open({ path: join(dir, 'run.duckdb'), runId: 'big', memoryLimit: LIMIT });
  for (let p = 1; p <= PAGES; p++) {
    const ids = Array.from({ length: PAGE }, (_, i) => (p - 1) * PAGE + i + 1);
    // Each later page repeats the previous page's last two ids, with other content (a later copy).
    if (p > 1) ids.push((p - 1) * PAGE, (p - 1) * PAGE - 1);
    const raw = ids.map((id, i) =>
      i >= PAGE ? toJson({ ...customerAt(7, id, 0.02), first_name: 'LATER COPY' }) : toJson(customerAt(7, id, 0.02)),
    );
    await stageRaw(store, p, raw);
  }
}, 60_000);
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bounded memory', () => {
  const records = PAGES * PAGE;
  const duplicates = (PAGES - 1) * 2;

  it.each<OutputFormat>(['parquet', 'csv'])(
    `reliability row 28: writes %s of ${records} records within a ${LIMIT} DuckDB memory limit, first occurrence kept`,
    async (format) => {
      const path = join(dir, `out.${format}`);
      const file = await writeFinalFile(store, { format, path });
      expect(file).toMatchObject({ rows: records, duplicatesDropped: duplicates, rejected: 0 });
      const read = format === 'parquet' ? `read_parquet('${path}')` : `read_csv('${path}', header = true, all_varchar = true)`;
      const [row] = await query(
        `SELECT count(DISTINCT id)::INTEGER AS ids, count_if(first_name = 'LATER COPY')::INTEGER AS later FROM ${read}`,
      );
      expect(row).toEqual({ ids: records, later: 0 });
    },
    60_000,
  );

  it(`reliability row 28: cleans (ETL) and reports ${records} records within a ${LIMIT} DuckDB memory limit`, async () => {
    const file = await writeFinalFile(store, {
      format: 'parquet',
      path: join(dir, 'clean.parquet'),
      transform: 'clean',
      cleanSchema: declared(customerSchema),
    });
    const report = await stagingReport(store, declared(customerSchema));
    expect(report.records).toEqual({
      received: records + duplicates,
      unique: records,
      duplicates,
      unkeyed: 0,
      refused: 0,
      rejectedByRules: file.rejected,
    });
    expect(file.rows + file.rejected).toBe(records);
    expect(report.columns.find((c) => c.name === 'email')).toMatchObject({ present: records, rule: 'email' });
  }, 60_000);
});
