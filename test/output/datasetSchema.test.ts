import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schemaPathFor, writeFinalFile } from '../../src/output/index.js';
import type { SchemaColumn } from '../../src/report/runReport.js';
import { StagingStore } from '../../src/staging/index.js';
import { query } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';

let dir: string;
let store: StagingStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'schema-'));
  store = await StagingStore.open({ path: join(dir, 'staging', 'run-1.duckdb'), runId: 'run-1' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const previous: SchemaColumn[] = [
  { name: 'id', type: 'BIGINT' },
  { name: 'qty', type: 'BIGINT' },
  { name: 'flag', type: 'BOOLEAN' },
  { name: 'meta', type: 'JSON' },
  { name: 'gone', type: 'DOUBLE' },
  { name: 'qty__v_text', type: 'VARCHAR', variantOf: 'qty' },
];

describe('writeFinalFile with a stored schema (ELT)', () => {
  it('keeps every stored type; each misfit lands in the variant of its JSON type; only new columns are changes', async () => {
    await stageRaw(store, 1, [
      '{"id":1,"qty":5,"flag":true,"meta":{"a":1}}',
      '{"id":2,"qty":1.5,"flag":"yes","meta":"plain"}',
      '{"id":3,"qty":"many","flag":null,"meta":[1]}',
      '{"id":4,"qty":123456789012345678901234,"flag":false}',
      '{"id":5,"qty":-7,"extra":"new"}',
    ]);
    const path = join(dir, 'items.parquet');
    const file = await writeFinalFile(store, { format: 'parquet', path, previousSchema: previous });

    expect(file.schema?.changes).toEqual([
      { column: 'extra', type: 'VARCHAR', change: 'added' },
      { column: 'qty__v_double', type: 'DOUBLE', change: 'variant', variantOf: 'qty' },
      { column: 'qty__v_json', type: 'JSON', change: 'variant', variantOf: 'qty' },
      { column: 'flag__v_text', type: 'VARCHAR', change: 'variant', variantOf: 'flag' },
    ]);
    // The stored columns first, in their order, then what this run added; the schema file beside the output says the same.
    expect(file.schema?.columns.map((c) => c.name)).toEqual([
      'id',
      'qty',
      'flag',
      'meta',
      'gone',
      'qty__v_text',
      'extra',
      'qty__v_double',
      'qty__v_json',
      'flag__v_text',
    ]);
    expect(JSON.parse(readFileSync(schemaPathFor(path), 'utf8'))).toEqual(file.schema);

    const types = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    expect(Object.fromEntries(types.map((t) => [t['column_name'], t['column_type']]))).toMatchObject({
      id: 'BIGINT',
      qty: 'BIGINT',
      flag: 'BOOLEAN',
      meta: 'VARCHAR',
      gone: 'DOUBLE',
      qty__v_text: 'VARCHAR',
      qty__v_double: 'DOUBLE',
    });
    const rows = await query(
      `SELECT id::INTEGER AS id, qty::INTEGER AS qty, qty__v_text, qty__v_double, qty__v_json, flag, flag__v_text, meta, gone
       FROM read_parquet('${path}') ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        id: 1,
        qty: 5,
        qty__v_text: null,
        qty__v_double: null,
        qty__v_json: null,
        flag: true,
        flag__v_text: null,
        meta: '{"a":1}',
        gone: null,
      },
      {
        id: 2,
        qty: null,
        qty__v_text: null,
        qty__v_double: 1.5,
        qty__v_json: null,
        flag: null,
        flag__v_text: 'yes',
        meta: 'plain',
        gone: null,
      },
      {
        id: 3,
        qty: null,
        qty__v_text: 'many',
        qty__v_double: null,
        qty__v_json: null,
        flag: null,
        flag__v_text: null,
        meta: '[1]',
        gone: null,
      },
      // An integer beyond BIGINT goes to the JSON variant, exact.
      {
        id: 4,
        qty: null,
        qty__v_text: null,
        qty__v_double: null,
        qty__v_json: '123456789012345678901234',
        flag: false,
        flag__v_text: null,
        meta: null,
        gone: null,
      },
      { id: 5, qty: -7, qty__v_text: null, qty__v_double: null, qty__v_json: null, flag: null, flag__v_text: null, meta: null, gone: null },
    ]);
  });

  it('records the first run’s schema with no change, and writes no schema for ETL', async () => {
    await stageRaw(store, 1, ['{"id":1,"name":"a","tags":["x"]}']);
    const elt = await writeFinalFile(store, { format: 'csv', path: join(dir, 'first.csv') });
    expect(elt.schema).toEqual({
      columns: [
        { name: 'id', type: 'UBIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'tags', type: 'JSON' },
      ],
      changes: [],
      renamed: [],
    });
    const etl = await writeFinalFile(store, { format: 'csv', path: join(dir, 'clean.csv'), transform: 'clean', cleanSchema: {} });
    expect(etl.schema).toBeUndefined();
    expect(() => readFileSync(schemaPathFor(etl.path))).toThrow();
  });
});
