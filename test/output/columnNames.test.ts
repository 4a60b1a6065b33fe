import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaPathFor, writeFinalFile } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { query } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';

let dir: string;
let store: StagingStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'names-'));
  store = await StagingStore.open({ path: join(dir, 'staging', 'run-1.duckdb'), runId: 'run-1' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const parquetRows = (path: string): Promise<Record<string, unknown>[]> =>
  query(`SELECT * EXCLUDE (_run_id, _page, _fetched_at) FROM read_parquet('${path}') ORDER BY id`);

describe('column names: a taken name is never a silent merge', () => {
  it('a later ELT run keeps the stored mapping, even without the field that took the name', async () => {
    await stageRaw(store, 1, ['{"id":1,"Name":"a","name":"b"}']);
    const first = await writeFinalFile(store, { format: 'parquet', path: join(dir, 'first.parquet') });
    expect(first.schema?.columns).toEqual([
      { name: 'id', type: 'UBIGINT' },
      { name: 'Name', type: 'VARCHAR' },
      { name: 'name__2', type: 'VARCHAR', key: 'name' },
    ]);

    const next = await StagingStore.open({ path: join(dir, 'staging', 'run-2.duckdb'), runId: 'run-2' });
    try {
      await stageRaw(next, 1, ['{"id":2,"name":"c","NAME":"d"}']);
      const path = join(dir, 'second.parquet');
      const second = await writeFinalFile(next, { format: 'parquet', path, previousSchema: first.schema!.columns });
      expect(await parquetRows(path)).toEqual([{ id: 2n, Name: null, name__2: 'c', NAME__3: 'd' }]);
      expect(second.renamed).toEqual([
        { field: 'name', column: 'name__2', reason: 'so named in the dataset schema' },
        { field: 'NAME', column: 'NAME__3', reason: 'column Name has the name but for case, and Parquet and CSV names ignore case' },
      ]);
      expect(second.schema?.changes).toEqual([{ column: 'NAME__3', type: 'VARCHAR', change: 'added' }]);
    } finally {
      await next.close();
    }
  });

  it('a field named as a variant column lands in its own column; the variant moves on', async () => {
    await stageRaw(store, 1, ['{"id":1,"qty":"many","qty__v_text":"mine"}']);
    const path = join(dir, 'variant.parquet');
    const file = await writeFinalFile(store, {
      format: 'parquet',
      path,
      previousSchema: [
        { name: 'id', type: 'BIGINT' },
        { name: 'qty', type: 'BIGINT' },
      ],
    });
    expect(await parquetRows(path)).toEqual([{ id: 1n, qty: null, qty__v_text: 'mine', qty__v_text__2: 'many' }]);
    expect(file.schema?.changes).toEqual([
      { column: 'qty__v_text', type: 'VARCHAR', change: 'added' },
      { column: 'qty__v_text__2', type: 'VARCHAR', change: 'variant', variantOf: 'qty' },
    ]);
  });

  it('ETL renames too, and its schema file names only the renamed fields', async () => {
    await stageRaw(store, 1, ['{"id":1,"Email":" A@B.CO ","email":"c@d.co","_fetched_at":"then"}']);
    const path = join(dir, 'clean.csv');
    const file = await writeFinalFile(store, {
      format: 'csv',
      path,
      transform: 'clean',
      cleanSchema: { id: { type: 'integer', required: true }, email: { type: 'email', required: false } },
    });
    const [header] = readFileSync(path, 'utf8').split('\n');
    expect(header).toBe('id,email,Email__2,_fetched_at__2,_run_id,_page,_fetched_at');
    expect(file.schema).toBeUndefined();
    expect(JSON.parse(readFileSync(schemaPathFor(path), 'utf8'))).toEqual({ columns: [], changes: [], renamed: file.renamed });
    expect(file.renamed.map((r) => [r.field, r.column])).toEqual([
      ['Email', 'Email__2'],
      ['_fetched_at', '_fetched_at__2'],
    ]);
  });
});
