import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stagingFigures } from '../../src/ingestion/stagingFigures.js';
import { stagingReport, writeFinalFile } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';

let dir: string;
let store: StagingStore;
// A rule that checks values: the figures then scan the records (a field without a check is not read).
const resource = { schema: { name: { type: 'email' as const, required: false } }, primaryKey: 'id' };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'figures-'));
  store = await StagingStore.open({ path: join(dir, 'r.duckdb'), runId: 'r' });
  await store.stagePage({
    page: 1,
    records: [{ id: 1, name: ' Ann' }, { id: 2 }, { id: 1, name: ' Ann' }],
    fetchedAt: 0,
    attempts: 1,
    latencyMs: 5,
    keyField: 'id',
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** How many quality scans (one per report) DuckDB has been asked for. */
function qualityScans(): () => number {
  const spy = vi.spyOn(DuckDBConnection.prototype, 'runAndReadAll');
  return () => spy.mock.calls.filter(([sql]) => sql.includes('AS _s FROM _fields')).length;
}

describe('stagingFigures', () => {
  it('computes the figures once when started ahead of the report, and the same as the report computes alone', async () => {
    const alone = await stagingReport(store, resource.schema, resource.primaryKey);
    const scans = qualityScans();
    const figures = stagingFigures(store, resource);
    figures.start();
    figures.start();
    expect(await figures.get()).toEqual(alone);
    expect(scans()).toBe(1);
  });

  it('computes them when the report asks without a start', async () => {
    const scans = qualityScans();
    const report = await stagingFigures(store, resource).get();
    expect(report.records).toMatchObject({ received: 3, unique: 2, duplicates: 1 });
    expect(scans()).toBe(1);
  });

  it("takes the rules' counts from the final file when it counted them: the same figures, without a scan of the records", async () => {
    const alone = await stagingReport(store, resource.schema, resource.primaryKey);
    const file = await writeFinalFile(store, {
      format: 'ndjson',
      path: join(dir, 'out.ndjson'),
      transform: 'clean',
      cleanSchema: resource.schema,
    });
    expect(file).toMatchObject({ rows: 1, rejected: 1, invalid: { name: 1 } });
    const scans = qualityScans();
    const figures = stagingFigures(store, resource);
    figures.counted({ invalid: file.invalid ?? {}, rejected: file.rejected });
    figures.start();
    expect(await figures.get()).toEqual(alone);
    expect(scans()).toBe(0);
  });

  it('asks again when the early attempt failed: starting early never fails a report', async () => {
    const original = DuckDBConnection.prototype.runAndReadAll;
    let failures = 0;
    const spy = vi.spyOn(DuckDBConnection.prototype, 'runAndReadAll').mockImplementation(function (this: DuckDBConnection, sql, ...rest) {
      if (sql.includes('AS _s FROM _fields') && failures++ === 0) return Promise.reject(new Error('the disk was briefly full'));
      return original.call(this, sql, ...rest);
    });
    const figures = stagingFigures(store, resource);
    figures.start();
    const report = await figures.get();
    expect(report.columns.find((c) => c.name === 'name')).toMatchObject({ present: 1, invalid: 1 });
    expect(spy.mock.calls.filter(([sql]) => sql.includes('AS _s FROM _fields')).length).toBe(2);
  });
});
