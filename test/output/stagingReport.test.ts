import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stagingReport, writeFinalFile } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { customerSchema, declared } from '../../src/simulator/simulatorSchemas.js';

let dir: string;
let store: StagingStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-'));
  store = await StagingStore.open({ path: join(dir, 'r.duckdb'), runId: 'r' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const stage = (page: number, records: unknown[], attempts = 1, latencyMs = 10): Promise<unknown> =>
  store.stagePage({ page, records, fetchedAt: 0, attempts, latencyMs, keyField: 'id' });

describe('stagingReport', () => {
  it('counts records, duplicates, unkeyed and rule breakers, pages and attempts, and per-column quality', async () => {
    await stage(1, [
      { id: 1, email: 'a@example.com', signup_date: '2024-01-02', lifetime_value: 1.5, first_name: ' Ann ' },
      { id: 2, email: 'not-an-email', signup_date: '02.01.2024', lifetime_value: '2.50', first_name: null },
      { id: 3, email: 'c@example.com', signup_date: 'someday', lifetime_value: 'lots' },
    ]);
    await stage(2, [{ id: 2, email: 'dup@example.com' }, { email: 'nokey@example.com' }], 3, 30);
    await stage(3, [], 2, 20);
    const report = await stagingReport(store, declared(customerSchema));
    expect(report.records).toEqual({ received: 5, unique: 3, duplicates: 1, unkeyed: 1, refused: 0, rejectedByRules: 2 });
    expect(report.pages).toEqual({
      count: 3,
      records: 5,
      attempts: 6,
      attemptsHistogram: { '1': 1, '2': 1, '3': 1 },
      retried: [
        { page: 2, attempts: 3 },
        { page: 3, attempts: 2 },
      ],
      latencyMs: { p50: 20, p95: 29, max: 30 },
      emptyPages: 1,
    });
    const column = (name: string): unknown => report.columns.find((c) => c.name === name);
    // Duplicates are judged on the first occurrence (page 1's id 2), as in the output file.
    expect(column('email')).toEqual({
      name: 'email',
      present: 3,
      nulls: 0,
      types: { VARCHAR: 3 },
      invalid: 1,
      rule: 'email',
    });
    expect(column('signup_date')).toMatchObject({ invalid: 1, rule: 'date' });
    expect(column('lifetime_value')).toMatchObject({ invalid: 1, types: { DOUBLE: 1, VARCHAR: 2 } });
    expect(column('first_name')).toMatchObject({ present: 2, nulls: 2, invalid: null });
    expect(column('phone')).toMatchObject({ present: 0, nulls: 3 });
  });

  it("reads no record for the fields without a check: their types and nulls are the records' shape's", async () => {
    await stage(1, [
      { id: 1, note: ' a', nested: { note: 'x' }, mixed: 1 },
      { id: 2, note: null, mixed: 'two' },
      { id: 3, nested: [1] },
    ]);
    await stage(2, [{ id: 1, note: 'a copy, dropped', extra: true }]);
    // Names an object has by inheritance are fields like any other.
    await stage(3, [JSON.parse('{"id": 4, "constructor": "c", "toString": 1}')]);
    const scans = vi.spyOn(DuckDBConnection.prototype, 'runAndReadAll');
    try {
      const report = await stagingReport(store);
      expect(report.records).toMatchObject({ received: 5, unique: 4, duplicates: 1, rejectedByRules: 0 });
      expect(report.columns).toEqual([
        { name: 'id', present: 4, nulls: 0, types: { UBIGINT: 4 }, invalid: null, rule: null },
        { name: 'note', present: 2, nulls: 3, types: { NULL: 1, VARCHAR: 1 }, invalid: null, rule: null },
        { name: 'nested', present: 2, nulls: 2, types: { ARRAY: 1, OBJECT: 1 }, invalid: null, rule: null },
        { name: 'mixed', present: 2, nulls: 2, types: { UBIGINT: 1, VARCHAR: 1 }, invalid: null, rule: null },
        { name: 'constructor', present: 1, nulls: 3, types: { VARCHAR: 1 }, invalid: null, rule: null },
        { name: 'toString', present: 1, nulls: 3, types: { UBIGINT: 1 }, invalid: null, rule: null },
      ]);
      expect(scans.mock.calls.filter(([sql]) => sql.includes('FROM _fields'))).toEqual([]);
    } finally {
      scans.mockRestore();
    }
  });

  it("counts in the final file's rejects what each rule's check finds in a scan of the records", async () => {
    await stage(1, [
      { id: 1, email: 'a@example.com', signup_date: '2024-01-02', lifetime_value: 1.5 },
      { id: 2, email: 'not-an-email', signup_date: 'someday', lifetime_value: 'lots' },
      { id: 3, email: 'c@example.com', signup_date: '02.01.2024', lifetime_value: '2.50' },
      { id: 4, email: 'd@example', lifetime_value: 'x' },
    ]);
    // A keyless record and a dropped copy break rules too: neither is one of the unique records.
    await stage(2, [{ email: 'nokey' }, { id: 3, email: 'copy', signup_date: 'never' }]);
    const rules = declared(customerSchema);
    const scanned = await stagingReport(store, rules);
    const file = await writeFinalFile(store, { format: 'parquet', path: join(dir, 'out.parquet'), transform: 'clean', cleanSchema: rules });
    expect(file.invalid).toEqual(Object.fromEntries(scanned.columns.filter((c) => c.invalid !== null).map((c) => [c.name, c.invalid])));
    expect(file.invalid).toMatchObject({ email: 2, signup_date: 1, lifetime_value: 2 });
    expect(file.rejected).toBe(scanned.records.rejectedByRules);
    expect(await stagingReport(store, rules, 'id', { invalid: file.invalid ?? {}, rejected: file.rejected })).toEqual(scanned);
  });

  it('reports zeros for an empty run', async () => {
    const report = await stagingReport(store, declared(customerSchema));
    expect(report.records).toEqual({ received: 0, unique: 0, duplicates: 0, unkeyed: 0, refused: 0, rejectedByRules: 0 });
    expect(report.pages).toMatchObject({ count: 0, attempts: 0, retried: [], latencyMs: { p50: null, p95: null, max: null } });
  });

  it('describes the records and windows the repeated keys once for the final file and the report, and again after another page is staged', async () => {
    const described = vi.spyOn(DuckDBConnection.prototype, 'run');
    const ran = (what: string): number => described.mock.calls.filter(([sql]) => sql.includes(what)).length;
    const descriptions = (): number => ran('CREATE OR REPLACE TEMP TABLE _shapes');
    const windows = (): number => ran('CREATE OR REPLACE TABLE duplicate_versions');
    try {
      await stage(1, [
        { id: 1, email: 'a@example.com' },
        { id: 2, email: 'b@example.com' },
      ]);
      await writeFinalFile(store, { format: 'ndjson', path: join(dir, 'out.ndjson') });
      expect((await stagingReport(store, declared(customerSchema))).records).toMatchObject({ received: 2, unique: 2 });
      expect([descriptions(), windows()]).toEqual([1, 1]);
      await stage(2, [
        { id: 2, email: 'later@example.com' },
        { id: 3, email: 'c@example.com', extra: true },
      ]);
      const report = await stagingReport(store, declared(customerSchema));
      expect([descriptions(), windows()]).toEqual([2, 2]);
      expect(report.records).toMatchObject({ received: 4, unique: 3, duplicates: 1 });
      expect(report.columns.find((c) => c.name === 'extra')).toMatchObject({ present: 1 });
      // A reopened database has lost the view but neither the description nor the versions: the view is
      // made again, the records not described nor windowed again, and the copy still left out.
      await store.releaseMemory();
      expect((await stagingReport(store, declared(customerSchema))).records).toMatchObject({ received: 4, unique: 3, duplicates: 1 });
      expect([descriptions(), windows()]).toEqual([2, 2]);
      const file = await writeFinalFile(store, { format: 'ndjson', path: join(dir, 'again.ndjson') });
      expect(file).toMatchObject({ rows: 3, duplicatesDropped: 1 });
    } finally {
      described.mockRestore();
    }
  });
});
