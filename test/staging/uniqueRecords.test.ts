import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StagingStore, type OnConflict } from '../../src/staging/index.js';

let dir: string | undefined;
let store: StagingStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  store = dir = undefined;
});

async function open(onConflict?: OnConflict): Promise<StagingStore> {
  dir = mkdtempSync(join(tmpdir(), 'unique-'));
  store = await StagingStore.open({ path: join(dir, 'u.duckdb'), runId: 'u', ...(onConflict ? { onConflict } : {}) });
  return store;
}

/** Stages each page's record texts exactly as given. */
async function stage(s: StagingStore, pages: readonly (readonly string[])[]): Promise<void> {
  for (const [i, texts] of pages.entries()) {
    const records = texts.map((t) => JSON.parse(t) as unknown);
    await s.stagePage({ page: i + 1, records, rawRecords: texts, fetchedAt: 0, attempts: 1, latencyMs: 1, keyField: 'id' });
  }
}

/** The unique records' (page, record text) by key, and the duplicates and conflicts. */
function uniqueOf(s: StagingStore) {
  return s.readStaged('read the unique records', async (staged) => {
    const { relation, duplicates, conflicts } = await staged.unique();
    const rows = await staged.query(`SELECT key, page, record::VARCHAR FROM ${relation} ORDER BY key`);
    return { rows: rows.map(([key, page, record]) => [key, Number(page), record]), duplicates, conflicts };
  });
}

describe('unique records: one per key, conflicting versions told from exact copies', () => {
  it('counts the copies that differ from the kept version, whitespace aside, and names the first ten keys by first occurrence', async () => {
    const s = await open();
    // Keys 1..12 come back on page 2 with other content; 20 comes back identical but for whitespace;
    // 30 comes three times, the second a copy of the first, the third another version.
    const keys = Array.from({ length: 12 }, (_, i) => i + 1);
    await stage(s, [
      [...keys.map((k) => `{"id":${k},"v":1}`), '{"id":20,"v":[1, 2]}', '{"id":30,"v":"a"}'],
      [...keys.reverse().map((k) => `{"id":${k},"v":2}`), '{ "id" : 20 , "v" : [1,2] }', '{"id":30,"v":"a"}'],
      ['{"id":"30","v":"a"}'],
    ]);
    const { rows, duplicates, conflicts } = await uniqueOf(s);
    expect(rows).toHaveLength(14);
    expect(rows.every(([, page]) => page === 1)).toBe(true);
    expect(duplicates).toBe(15);
    // 12 keys once each, and key 30's "30" spelling; not key 20, not key 30's exact copy.
    expect(conflicts).toMatchObject({ kept: 'first', versions: 13, keys: 13 });
    expect(conflicts.examples).toHaveLength(10);
    expect(conflicts.examples.slice(0, 3)).toEqual([
      { key: '1', pages: [1, 2], keptPage: 1 },
      { key: '2', pages: [1, 2], keptPage: 1 },
      { key: '3', pages: [1, 2], keptPage: 1 },
    ]);
    expect(conflicts.examples.map((e) => e.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  it('onConflict last keeps each key its last record by page and position; a run without repeats has no conflicts', async () => {
    const s = await open('last');
    await stage(s, [['{"id":1,"v":"old"}', '{"id":2,"v":"only"}', '{"id":1,"v":"older on the same page"}'], ['{"id":" 1 ","v":"new"}']]);
    const { rows, duplicates, conflicts } = await uniqueOf(s);
    expect(rows).toEqual([
      ['1', 2, '{"id":" 1 ","v":"new"}'],
      ['2', 1, '{"id":2,"v":"only"}'],
    ]);
    expect(duplicates).toBe(2);
    expect(conflicts).toEqual({ kept: 'last', versions: 2, keys: 1, examples: [{ key: '1', pages: [1, 2], keptPage: 2 }] });
    await store?.close();
    rmSync(dir!, { recursive: true, force: true });

    const calm = await open();
    await stage(calm, [['{"id":1}', '{"id":2}']]);
    expect((await uniqueOf(calm)).conflicts).toEqual({ kept: 'first', versions: 0, keys: 0, examples: [] });
  });

  it('refuses an onConflict it does not know', async () => {
    dir = mkdtempSync(join(tmpdir(), 'unique-'));
    await expect(StagingStore.open({ path: join(dir, 'u.duckdb'), runId: 'u', onConflict: 'newest' as OnConflict })).rejects.toThrow(
      /"onConflict" must be 'first' or 'last', got newest/,
    );
  });
});
