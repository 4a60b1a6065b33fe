import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedCustomers, toJson, type SimulatorOptions } from '../../src/simulator/index.js';
import { verifyOutput } from './verifyOutput.js';

const source: SimulatorOptions = { seed: 11, records: 30, dirtyRate: 0.5 };
const dir = mkdtempSync(join(tmpdir(), 'verify-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The source's records as a final NDJSON file would hold them: lineage columns added, edited by `edit`. */
function landed(edit: (rows: Record<string, unknown>[]) => Record<string, unknown>[] = (rows) => rows): string {
  const rows = [...expectedCustomers(source)].map((record, i) => ({
    ...(JSON.parse(toJson(record)) as Record<string, unknown>),
    _run_id: 'r',
    _page: 1 + Math.floor(i / 10),
    _fetched_at: 't',
  }));
  const path = join(dir, `out-${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(
    path,
    edit(rows)
      .map((row) => `${JSON.stringify(row)}\n`)
      .join(''),
  );
  return path;
}

describe("the campaign's output check", () => {
  it('passes the source itself, with lineage and the nulls typed columns add for keys a record lacks', async () => {
    expect(await verifyOutput(landed(), 'ndjson', source)).toEqual([]);
    const withNulls = landed((rows) => rows.map((row) => ({ ...row, not_in_source: null })));
    expect(await verifyOutput(withNulls, 'ndjson', source)).toEqual([]);
  });

  it('catches a changed value, a nested one, a non-null extra key and a dropped key', async () => {
    const changed = landed((rows) => rows.map((row, i) => (i === 3 ? { ...row, email: 'other@example.com' } : row)));
    expect((await verifyOutput(changed, 'ndjson', source)).join()).toMatch(/1 records differ from the source; id 4: email/);
    const nested = landed((rows) =>
      rows.map((row, i) => (i === 5 ? { ...row, address: { ...(row['address'] as object), zip: 'x' } } : row)),
    );
    expect((await verifyOutput(nested, 'ndjson', source)).join()).toMatch(/1 records differ.*id 6: address/);
    const extra = landed((rows) => rows.map((row, i) => (i === 7 ? { ...row, surplus: 0 } : row)));
    expect((await verifyOutput(extra, 'ndjson', source)).join()).toMatch(/id 8: surplus/);
    const dropped = landed((rows) =>
      rows.map((row, i) => (i === 9 ? Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'city')) : row)),
    );
    expect((await verifyOutput(dropped, 'ndjson', source)).join()).toMatch(/id 10: city/);
  });

  it('catches a missing, a duplicated and a foreign record', async () => {
    const problems = await verifyOutput(
      landed((rows) => [...rows.filter((row) => row['id'] !== 2), rows[0]!, { ...rows[1]!, id: 999 }]),
      'ndjson',
      source,
    );
    expect(problems).toEqual([
      'the output holds 1 duplicate ids',
      '1 source ids missing from the output (first: 2)',
      '1 ids in the output that the source does not have (first: 999)',
    ]);
  });
});
