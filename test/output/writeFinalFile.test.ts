import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StagingStore } from '../../src/staging/index.js';
import { crc32c, crc32cBase64 } from '../../src/checksum/crc32c.js';
import {
  OutputError,
  RejectShareError,
  isOutputIntact,
  rejectsPathFor,
  unescapeCsvCell,
  writeFinalFile,
  type OutputFormat,
} from '../../src/output/index.js';
import { query, readBack } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';

const formats: readonly OutputFormat[] = ['parquet', 'ndjson', 'csv', 'json'];
const FETCHED_AT = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

let dir: string;
let store: StagingStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'output-'));
  store = await StagingStore.open({ path: join(dir, 'staging', 'run-7.duckdb'), runId: 'run-7' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

type Rec = Record<string, unknown>;

/** Exact JSON text for a record plus a `big` integer that JSON.parse could not hold. */
const withBig = (record: Rec, big: string): string => `${JSON.stringify(record).slice(0, -1)},"big":${big}}`;

const edgeRecords: Rec[] = [
  {
    id: 1,
    text: 'Zoë Søren 李娜 Аня 😀🚀',
    nested: { a: { b: [1, 2, { c: 'd"e' }] }, s: 'x' },
    tags: ['🔥vip', 'naïve-café'],
    amount: 12.5,
    active: true,
    mixed: 1,
  },
  { id: 2, text: 'a\u0000b', nested: { a: { b: [] }, s: 'line1\nline2' }, tags: ['a\u0000b'], amount: -3, active: false, mixed: 'one' },
  { id: 3, text: `${'λ'.repeat(60_000)}end`, nested: null, tags: [], amount: 0.1, active: true, mixed: [1, 'x'] },
  {
    id: 4,
    text: 'O\'Brien "The Old Mill",\nBack Lane\r\n',
    nested: { a: null, s: '' },
    tags: ['=1+1'],
    amount: 123456.789,
    active: null,
    mixed: { k: -1 },
  },
  {
    id: 5,
    text: '=HYPERLINK("http://example.invalid","x")',
    nested: { a: { b: [3] }, s: 'y', extra: true },
    tags: null,
    amount: 0,
    active: false,
    mixed: -5,
  },
  { id: 6, text: '-2+3', tags: ['b'], amount: 1, active: true, mixed: null },
  { id: 7, text: '@cmd', tags: ['c'], amount: 2, active: true },
  { id: 8, text: '+SUM(A1:A9)', tags: ['d'], amount: 3, active: true },
  { id: 9, text: '\tTabbed', tags: ['e'], amount: 4, active: true },
  { id: 10, text: "'quoted", tags: ['f'], amount: 5, active: true },
  { id: 11, text: '', tags: ['g'], amount: 6, active: true },
  { id: 12, text: null, tags: ['h'], amount: 7, active: true },
];
const bigOf = (id: number): string => (id === 1 ? '123456789012345678901234567890' : id === 2 ? '9007199254740993' : String(id));

async function stageEdgeRecords(): Promise<void> {
  const raw = edgeRecords.map((r) => withBig(r, bigOf(r.id as number)));
  await stageRaw(store, 1, raw.slice(0, 6), { fetchedAt: FETCHED_AT });
  // Page 2 repeats ids 5 and 6 with other content: the first occurrence (page 1) must win.
  const page2 = [
    ...raw.slice(6),
    withBig({ ...edgeRecords[4], text: 'LATER COPY' }, '5'),
    withBig({ ...edgeRecords[5], text: 'LATER COPY' }, '6'),
    '{"text":"no id"}',
  ];
  await stageRaw(store, 2, page2, { fetchedAt: FETCHED_AT, attempts: 2 });
}

const pageOf = (id: number): number => (id <= 6 ? 1 : 2);
const fields = ['id', 'text', 'nested', 'tags', 'amount', 'active', 'mixed'];

/** Fields whose values are objects, arrays or of mixed types: JSON columns, text in Parquet and CSV. */
const jsonFields = new Set(['nested', 'tags', 'mixed']);

/** A JSON column's cell in Parquet or CSV: a string as its text (no JSON quotes), anything else as JSON text. */
function expectJsonText(text: string, expected: unknown, field: string): void {
  if (typeof expected === 'string') return void expect(text, field).toBe(expected);
  expect(JSON.parse(text), field).toEqual(expected);
}

function expectCsvCell(cell: unknown, expected: unknown, field: string): void {
  if (expected === null || expected === undefined) return void expect(cell, field).toBeNull();
  const text = unescapeCsvCell(String(cell));
  if (jsonFields.has(field)) return expectJsonText(text, expected, field);
  if (typeof expected === 'string') return void expect(text, field).toBe(expected);
  // Numbers compare by value: a DOUBLE column prints -3 as "-3.0".
  if (typeof expected === 'number') return void expect(Number(text), field).toBe(expected);
  expect(text, field).toBe(String(expected));
}

describe('writeFinalFile (ELT)', () => {
  it.each(formats)('round-trips every edge value exactly through %s, one row per key, with lineage and checksums', async (format) => {
    await stageEdgeRecords();
    const path = join(dir, 'out', `customers.${format}`);
    const result = await writeFinalFile(store, { format, path, keyField: 'id' });
    expect(result).toMatchObject({
      path,
      format,
      rows: 12,
      duplicatesDropped: 2,
      rejected: 0,
      withoutKey: 1,
      rejectsPath: join(dir, 'out', 'customers.rejects.ndjson'),
    });

    const bytes = readFileSync(path);
    expect(result.bytes).toBe(bytes.length);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.crc32c).toBe(crc32cBase64(crc32c(bytes)));

    const rows = await readBack(format, path, 'big');
    expect(rows.map((r) => Number(r.value['id']))).toEqual(edgeRecords.map((r) => r.id));
    rows.forEach((row, i) => {
      const input = edgeRecords[i]!;
      expect(row.exact, 'big integer digits').toBe(bigOf(input.id as number));
      for (const field of fields) {
        const expected = input[field] ?? null;
        const actual = row.value[field];
        if (format === 'csv') expectCsvCell(actual, expected, field);
        else if (format === 'parquet' && jsonFields.has(field) && expected !== null) expectJsonText(String(actual), expected, field);
        else expect(actual, `${format} ${field} of id ${String(input.id)}`).toEqual(expected);
      }
      const lineage = row.value;
      expect(format === 'csv' ? unescapeCsvCell(String(lineage['_run_id'])) : lineage['_run_id']).toBe('run-7');
      expect(Number(lineage['_page'])).toBe(pageOf(input.id as number));
      const fetched = String(lineage['_fetched_at']);
      expect(new Date(format === 'parquet' ? `${fetched}Z` : fetched).getTime()).toBe(FETCHED_AT);
    });

    const rejects = readFileSync(result.rejectsPath!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec);
    expect(rejects).toEqual([
      { run_id: 'run-7', page: 2, seq: 8, key: null, reasons: ['missing or invalid id'], record: { text: 'no id' } },
    ]);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([`customers.${format}`, 'customers.rejects.ndjson', 'customers.schema.json']);
  });

  it('types columns from the data; objects, arrays and mixed types are JSON text in Parquet (zstd)', async () => {
    await stageEdgeRecords();
    const path = join(dir, 'typed.parquet');
    const result = await writeFinalFile(store, { format: 'parquet', path });
    const types = Object.fromEntries(result.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      id: 'UBIGINT',
      text: 'VARCHAR',
      amount: 'DOUBLE',
      active: 'BOOLEAN',
      mixed: 'VARCHAR',
      nested: 'VARCHAR',
      tags: 'VARCHAR',
      big: 'DECIMAL(38,0)',
      _run_id: 'VARCHAR',
      _page: 'INTEGER',
      _fetched_at: 'TIMESTAMP',
    });
    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    expect(codecs.map((c) => c['compression'])).toEqual(['ZSTD']);
  });

  it('writes CSV with a header, quoting, and formula-safe text cells', async () => {
    await stageEdgeRecords();
    const path = join(dir, 'safe.csv');
    await writeFinalFile(store, { format: 'csv', path });
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toBe('id,text,nested,tags,amount,active,mixed,big,_run_id,_page,_fetched_at');
    const cells = await query(`SELECT id, text, mixed, amount FROM read_csv('${path}', header = true, all_varchar = true)`);
    const byId = new Map(cells.map((c) => [c['id'], c]));
    expect(byId.get('5')?.['text']).toBe(`'=HYPERLINK("http://example.invalid","x")`);
    expect(byId.get('6')?.['text']).toBe(`'-2+3`);
    expect(byId.get('7')?.['text']).toBe(`'@cmd`);
    expect(byId.get('8')?.['text']).toBe(`'+SUM(A1:A9)`);
    expect(byId.get('9')?.['text']).toBe(`'\tTabbed`);
    expect(byId.get('10')?.['text']).toBe(`''quoted`);
    expect(byId.get('5')?.['mixed']).toBe(`'-5`); // JSON text is text too
    expect(byId.get('2')?.['amount']).toBe('-3.0'); // numbers are numbers, not formulas
    for (const cell of cells) expect(String(cell['text'] ?? '')).not.toMatch(/^[=+\-@\t\r]/);
    // Quoting: the embedded quotes, comma and newlines of id 4 are inside one quoted field.
    expect(text).toContain(`"O'Brien ""The Old Mill"",\nBack Lane\r\n"`);
  });

  it('writes a valid empty file with its schema when there are no records', async () => {
    const expectedSchema = { id: 'BIGINT', email: 'VARCHAR', signup_date: 'DATE' };
    for (const format of formats) {
      const path = join(dir, `empty.${format}`);
      const result = await writeFinalFile(store, { format, path, expectedSchema });
      expect(result).toMatchObject({ rows: 0, duplicatesDropped: 0, rejected: 0 });
      expect(existsSync(path)).toBe(true);
      // No rejects, no rejects file.
      expect(result.rejectsPath).toBeUndefined();
      expect(existsSync(rejectsPathFor(path))).toBe(false);
    }
    const parquet = await query(`DESCRIBE SELECT * FROM read_parquet('${join(dir, 'empty.parquet')}')`);
    expect(parquet.map((c) => [c['column_name'], c['column_type']])).toEqual([
      ['id', 'BIGINT'],
      ['email', 'VARCHAR'],
      ['signup_date', 'DATE'],
      ['_run_id', 'VARCHAR'],
      ['_page', 'INTEGER'],
      ['_fetched_at', 'TIMESTAMP'],
    ]);
    expect(readFileSync(join(dir, 'empty.csv'), 'utf8')).toBe('id,email,signup_date,_run_id,_page,_fetched_at\n');
    expect(JSON.parse(readFileSync(join(dir, 'empty.json'), 'utf8'))).toEqual([]);
    expect(readFileSync(join(dir, 'empty.ndjson'), 'utf8')).toBe('');
    expect((await query(`SELECT count(*) AS n FROM read_parquet('${join(dir, 'empty.parquet')}')`))[0]?.['n']).toBe(0n);
  });

  it('never leaves a partial file at the final path: a file that fails its check is not published', async () => {
    await stageEdgeRecords();
    const path = join(dir, 'final.parquet');
    writeFileSync(path, 'the previous, complete file');
    const failed = writeFinalFile(store, {
      format: 'parquet',
      path,
      // Simulates a torn write (disk full, crash mid-COPY): the temporary file loses its footer.
      onWritten: (temp) => truncateSync(temp, 100),
    });
    await expect(failed).rejects.toBeInstanceOf(OutputError);
    await expect(failed).rejects.toThrow(/cannot be read back/);
    expect(readFileSync(path, 'utf8')).toBe('the previous, complete file');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const fresh = join(dir, 'fresh.ndjson');
    await expect(
      writeFinalFile(store, { format: 'ndjson', path: fresh, onWritten: (temp) => writeFileSync(temp, '{"id":1}\n') }),
    ).rejects.toThrow(/holds 1 rows, expected 12/);
    expect(existsSync(fresh)).toBe(false);
    expect(existsSync(join(dir, 'fresh.rejects.ndjson'))).toBe(false);
  });

  it.each([
    ['staged twice', 'INSERT INTO raw_records SELECT * FROM raw_records WHERE page = 1', 'received 5 ≠ records the staged pages held 3'],
    ['staged in part', 'DELETE FROM raw_records WHERE page = 2', 'received 2 ≠ records the staged pages held 3'],
  ])('refuses records that do not match their pages: a page %s, keys or none, stops the file', async (_case, tamper, equation) => {
    const path = join(dir, 'staging', 'run-7.duckdb');
    // Keyed copies of page 1 would count as duplicates, and page 2's keyless record would be written twice.
    await stageRaw(store, 1, ['{"id":1}', '{"id":2}']);
    await stageRaw(store, 2, ['{"name":"no key"}']);
    await store.close();
    const db = await DuckDBInstance.create(path);
    const conn = await db.connect();
    await conn.run(tamper);
    conn.closeSync();
    db.closeSync();
    store = await StagingStore.open({ path, runId: 'run-7' });
    const out = join(dir, 'torn.ndjson');
    await expect(writeFinalFile(store, { format: 'ndjson', path: out })).rejects.toThrow(
      `the counts do not add up, so the file is not delivered: ${equation} does not hold`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('keeps a nested big integer exact in Parquet: nested values are their JSON text', async () => {
    const raw = ['{"id":1,"n":{"v":123456789012345678901,"s":"a"}}', '{"id":2,"n":{"v":1,"s":"b"}}', '{"id":3,"m":{"v":1.5}}'];
    await stageRaw(store, 1, raw);
    const path = join(dir, 'nested-big.parquet');
    const result = await writeFinalFile(store, { format: 'parquet', path });
    expect(Object.fromEntries(result.columns.map((c) => [c.name, c.type]))).toMatchObject({ n: 'VARCHAR', m: 'VARCHAR' });
    const rows = await query(`SELECT n, m FROM read_parquet('${path}') ORDER BY id`);
    expect(rows.map((r) => r['n'])).toEqual(['{"v":123456789012345678901,"s":"a"}', '{"v":1,"s":"b"}', null]);
    expect(rows.map((r) => r['m'])).toEqual([null, null, '{"v":1.5}']);
  });

  it('leaves a JSON null empty in a number column kept exact (integers beyond 2^53)', async () => {
    // v fits DECIMAL(38, 1); w (42 digits, and an exponent) stays exact text.
    const raw = [
      '{"id":1,"v":1.5,"w":123456789012345678901234567890123456789012}',
      '{"id":2,"v":9007199254740993,"w":1.5e300}',
      '{"id":3,"v":null,"w":null}',
      '{"id":4}',
    ];
    await stageRaw(store, 1, raw);
    const parquet = join(dir, 'exact.parquet');
    const result = await writeFinalFile(store, { format: 'parquet', path: parquet });
    expect(Object.fromEntries(result.columns.map((c) => [c.name, c.type]))).toMatchObject({ v: 'DECIMAL(38,1)', w: 'VARCHAR' });
    const rows = await query(`SELECT v::VARCHAR AS v, w FROM read_parquet('${parquet}') ORDER BY id`);
    expect(rows).toEqual([
      { v: '1.5', w: '123456789012345678901234567890123456789012' },
      { v: '9007199254740993.0', w: '1.5e300' },
      { v: null, w: null },
      { v: null, w: null },
    ]);
    const ndjson = join(dir, 'exact.ndjson');
    await writeFinalFile(store, { format: 'ndjson', path: ndjson });
    const lines = readFileSync(ndjson, 'utf8').trim().split('\n').sort();
    expect(lines.map((line) => /"v":([^,]*),"w":([^,]*),/.exec(line)?.slice(1))).toEqual([
      ['1.5', '"123456789012345678901234567890123456789012"'],
      ['9007199254740993.0', '"1.5e300"'],
      ['null', 'null'],
      ['null', 'null'],
    ]);
  });

  it("probes for integers beyond 2^53 only where staging did not rule them out: a page's note of its long numbers decides", async () => {
    const typeOfV = async (name: string): Promise<string | undefined> => {
      const result = await writeFinalFile(store, { format: 'parquet', path: join(dir, `${name}.parquet`) });
      return result.columns.find((c) => c.name === 'v')?.type;
    };
    await stageRaw(store, 1, ['{"id":1,"v":1.5}', '{"id":2,"v":2.5}'], { longNumbers: false });
    // Told wrongly that a page holds none, the final file believes it: the note, not a scan, decided.
    await stageRaw(store, 2, ['{"id":3,"v":9007199254740993}'], { longNumbers: false });
    expect(await typeOfV('trusted')).toBe('DOUBLE');
    // A page whose note says it holds one, or that has none (staged before notes were kept), is probed.
    await stageRaw(store, 3, ['{"id":4,"v":3.5}'], { longNumbers: true });
    expect(await typeOfV('noted')).toBe('DECIMAL(38,1)');
    await store.close();
    store = await StagingStore.open({ path: join(dir, 'staging', 'run-8.duckdb'), runId: 'run-8' });
    await stageRaw(store, 1, ['{"id":1,"v":1.5}'], { longNumbers: false });
    await stageRaw(store, 2, ['{"id":2,"v":9007199254740993}']);
    expect(await typeOfV('unknown')).toBe('DECIMAL(38,1)');
  });

  it('opens a database staged before pages kept that note: its pages count as holding long numbers, and staging goes on', async () => {
    const path = join(dir, 'staging', 'run-7.duckdb');
    await stageRaw(store, 1, ['{"id":1,"v":9007199254740993}'], { longNumbers: true });
    await store.close();
    const old = await DuckDBInstance.create(path);
    const conn = await old.connect();
    await conn.run('ALTER TABLE pages DROP COLUMN long_numbers');
    conn.closeSync();
    old.closeSync();
    store = await StagingStore.open({ path, runId: 'run-7' });
    await stageRaw(store, 2, ['{"id":2,"v":2.5}'], { longNumbers: false });
    const result = await writeFinalFile(store, { format: 'parquet', path: join(dir, 'old.parquet') });
    expect(result.columns.find((c) => c.name === 'v')?.type).toBe('DECIMAL(38,1)');
    expect(await query(`SELECT v::VARCHAR AS v FROM read_parquet('${join(dir, 'old.parquet')}') ORDER BY id`)).toEqual([
      { v: '9007199254740993.0' },
      { v: '2.5' },
    ]);
  });

  it('writes no file when the rejected share reaches maxRejectShare, but publishes the rejects with their reasons', async () => {
    await stageRaw(store, 1, ['{"id":1}', '{"name":"no id"}', '{"id":3}', '{"name":"none either"}']);
    const path = join(dir, 'out', 'share.ndjson');
    await expect(writeFinalFile(store, { format: 'ndjson', path, maxRejectShare: 0.5 })).rejects.toThrow(
      new RejectShareError(
        `2 of 4 records were rejected, 50%, at or past maxRejectShare 0.5: nothing is delivered; the reasons are in ${rejectsPathFor(path)}`,
      ),
    );
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(rejectsPathFor(path), 'utf8').trim().split('\n')).toHaveLength(2);
    // Below the threshold, or without one, the file is written as ever.
    expect((await writeFinalFile(store, { format: 'ndjson', path, maxRejectShare: 0.51 })).rows).toBe(2);
    expect((await writeFinalFile(store, { format: 'ndjson', path })).rows).toBe(2);
  });

  it('tells whether a recorded output is still intact (for resuming after the write)', async () => {
    await stageEdgeRecords();
    const path = join(dir, 'intact.ndjson');
    const file = await writeFinalFile(store, { format: 'ndjson', path });
    await store.recordOutput(file);
    const recorded = (await store.runState()).output;
    expect(recorded).not.toBeNull();
    expect(await isOutputIntact(recorded!)).toBe(true);
    const bytes = readFileSync(path);
    bytes[10] = bytes[10]! ^ 1;
    writeFileSync(path, bytes);
    expect(await isOutputIntact(recorded!)).toBe(false);
    rmSync(path);
    expect(await isOutputIntact(recorded!)).toBe(false);
  });

  it('removes temporary files left by a writer that was killed', async () => {
    await stageEdgeRecords();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const path = join(dir, 'after-crash.csv');
    const stale = join(dir, `.after-crash.csv.${dead}.1.tmp`);
    writeFileSync(stale, 'id,text\n1,half a fi');
    await writeFinalFile(store, { format: 'csv', path });
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects unknown formats and transforms with errors that name the option', async () => {
    await expect(writeFinalFile(store, { format: 'xml' as OutputFormat, path: join(dir, 'x') })).rejects.toThrow(/"format"/);
    await expect(writeFinalFile(store, { format: 'csv', path: join(dir, 'x'), transform: 'tidy' as 'clean' })).rejects.toThrow(
      /"transform"/,
    );
  });
});
