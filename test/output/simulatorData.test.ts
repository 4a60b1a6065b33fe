import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StagingStore } from '../../src/staging/index.js';
import { writeFinalFile } from '../../src/output/index.js';
import { customerAt } from '../../src/simulator/customerAt.js';
import { toJson } from '../../src/simulator/toJson.js';
import { stageRaw } from './fixtures/stageRaw.js';
import { customerSchema, declared } from '../../src/simulator/simulatorSchemas.js';

// The simulator's own dirty customers (every record dirty), served as JSON text, with a few
// records repeated on a later page as the API does when data shifts during paging.
const SEED = 42;
const PAGE = 250;
const PAGES = 4;
const repeated = [3, 250, 251, 777];

let dir: string;
let store: StagingStore;
const rawById = new Map<number, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simdata-'));
  store = await StagingStore.open({ path: join(dir, 'sim.duckdb'), runId: 'sim' });
  for (let p = 1; p <= PAGES; p++) {
    const ids = Array.from({ length: PAGE }, (_, i) => (p - 1) * PAGE + i + 1);
    if (p === PAGES) ids.push(...repeated);
    const raw = ids.map((id) => toJson(customerAt(SEED, id, 1)));
    ids.forEach((id, i) => rawById.set(id, raw[i]!));
    await stageRaw(store, p, raw);
  }
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const lineage = new Set(['_run_id', '_page', '_fetched_at']);

describe('final file from the simulator’s dirty customers', () => {
  it('ELT lands every record exactly once, as sent (big integers to the digit)', async () => {
    const path = join(dir, 'elt.ndjson');
    const result = await writeFinalFile(store, { format: 'ndjson', path });
    expect(result).toMatchObject({ rows: PAGE * PAGES, duplicatesDropped: repeated.length, rejected: 0 });
    const out = lines(path);
    expect(out).toHaveLength(PAGE * PAGES);
    let bigSeen = 0;
    out.forEach((line, i) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      const id = i + 1;
      const input = JSON.parse(rawById.get(id)!) as Record<string, unknown>;
      const landed = Object.fromEntries(Object.entries(row).filter(([k, v]) => !lineage.has(k) && !(v === null && !(k in input))));
      expect(landed, `customer ${id}`).toEqual(input);
      const big = /"lifetime_value":(\d{16,})/.exec(rawById.get(id)!)?.[1];
      if (big !== undefined) {
        bigSeen++;
        expect(line).toContain(`"lifetime_value":${big}`);
      }
    });
    expect(bigSeen).toBeGreaterThan(0);
  });

  it('ETL cleans what it can and rejects the rest with reasons: nothing is dropped silently', async () => {
    const path = join(dir, 'etl.ndjson');
    const result = await writeFinalFile(store, { format: 'ndjson', path, transform: 'clean', cleanSchema: declared(customerSchema) });
    const out = lines(path).map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejects = lines(result.rejectsPath!).map((l) => JSON.parse(l) as { key: string; reasons: string[] });
    expect(out).toHaveLength(result.rows);
    expect(rejects).toHaveLength(result.rejected);
    expect(result.rows).toBeGreaterThan(PAGE * PAGES * 0.5);
    expect(result.rejected).toBeGreaterThan(0);
    const ids = [...out.map((r) => String(r['id'])), ...rejects.map((r) => r.key)].map(Number).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: PAGE * PAGES }, (_, i) => i + 1));
    for (const row of out) {
      expect(row['email']).toMatch(/^[^@\sA-Z]+@[^@\sA-Z]+\.[^@\sA-Z]+$/);
      expect(row['signup_date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      if (row['last_login_at'] !== null) expect(row['last_login_at']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(typeof row['lifetime_value']).toBe('number');
      expect(typeof row['is_active']).toBe('boolean');
      for (const field of ['first_name', 'last_name', 'city']) expect(String(row[field])).toBe(String(row[field]).trim());
    }
    for (const reject of rejects) expect(reject.reasons.length).toBeGreaterThan(0);
    // The only dirt this simulator sends that cleaning cannot fix is an invalid email.
    expect(new Set(rejects.flatMap((r) => r.reasons))).toEqual(new Set(['invalid email']));
  });
});
