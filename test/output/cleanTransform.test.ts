import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StagingStore } from '../../src/staging/index.js';
import { writeFinalFile } from '../../src/output/index.js';
import { query } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';
import { customerSchema, declared } from '../../src/simulator/simulatorSchemas.js';

let dir: string;
let store: StagingStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clean-'));
  store = await StagingStore.open({ path: join(dir, 'etl.duckdb'), runId: 'etl' });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = { last_name: 'Smith', phone: null, country: 'US', tags: ['a'], address: { street: '1 Main St', zip: '02101' } };

// Raw JSON text per record: the simulator's dirt, including a lifetime value beyond 2^53.
const page1 = [
  {
    id: 1,
    first_name: '  Ann\t',
    email: ' ANN@Example.COM ',
    city: ' Boston ',
    signup_date: '2024-01-02',
    last_login_at: '2024-01-02T03:04:05Z',
    lifetime_value: 12.5,
    is_active: true,
  },
  {
    id: 2,
    first_name: 'Bo',
    email: 'bo@example.com',
    city: 'Oslo',
    signup_date: '2024/01/03',
    last_login_at: 1704153600,
    lifetime_value: '99.95',
    is_active: 'false',
  },
  {
    id: '3',
    first_name: 'Cy',
    email: 'cy@example.com',
    city: 'Rome',
    signup_date: '04-01-2024',
    last_login_at: 'Tue, 02 Jan 2024 00:00:00 GMT',
    lifetime_value: '  7 ',
    is_active: 'true',
  },
  {
    id: 4,
    first_name: 'Di',
    email: 'di@example.com',
    city: '=1+1',
    signup_date: '01/05/2024',
    last_login_at: '2024-01-02T03:04:05+02:00',
    lifetime_value: 0,
    is_active: false,
  },
  {
    id: 5,
    first_name: 'Ed',
    email: 'ed@example.com',
    city: 'Lima',
    signup_date: '06.01.2024',
    last_login_at: '1704153600',
    lifetime_value: 'BIG',
    is_active: true,
  },
  {
    id: 6,
    first_name: 'Fa',
    email: 'n/a',
    city: 'Kyiv',
    signup_date: '2024-01-02',
    last_login_at: null,
    lifetime_value: 1,
    is_active: true,
  },
].map((r) => JSON.stringify({ ...base, ...r }).replace('"BIG"', '9007199254740993'));
const page2 = [
  JSON.stringify({ ...base, id: 1, first_name: 'LATER COPY', email: 'x@example.com' }),
  JSON.stringify({ ...base, id: 7, first_name: 'Gu', email: 'gu@example.com', signup_date: 'someday', lifetime_value: 2, is_active: true }),
  JSON.stringify({ ...base, id: 8, first_name: 'Ha', email: '', signup_date: '2024-01-02', lifetime_value: 'lots', is_active: true }),
  JSON.stringify({
    ...base,
    id: 9,
    first_name: 'Io',
    email: 'io@example.com',
    signup_date: '2024-01-02',
    lifetime_value: 3,
    is_active: 'maybe',
  }),
  JSON.stringify({ ...base, id: 'abc', first_name: 'Jo', email: 'jo@example.com' }),
  JSON.stringify({ first_name: 'no id at all' }),
];

async function stage(): Promise<void> {
  for (const [i, raw] of [page1, page2].entries()) {
    await stageRaw(store, i + 1, raw);
  }
}

describe('writeFinalFile (ETL: transform clean)', () => {
  it('trims text, lower-cases emails, normalises mixed dates to ISO-8601 and numeric strings to exact numbers', async () => {
    await stage();
    const path = join(dir, 'clean.ndjson');
    const result = await writeFinalFile(store, {
      format: 'ndjson',
      path,
      transform: 'clean',
      cleanSchema: declared(customerSchema),
      keyField: 'id',
    });
    expect(result).toMatchObject({ rows: 5, duplicatesDropped: 1, rejected: 5, withoutKey: 1 });
    const count = await query(`SELECT count(*) AS n FROM read_ndjson_objects('${path}')`);
    expect(count).toEqual([{ n: 5n }]);
    // The number as written (JSON parsers, DuckDB's included, read decimals as doubles).
    const rows = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => ({ ...(JSON.parse(line) as Record<string, unknown>), exactValue: /"lifetime_value":([^,}]+)/.exec(line)?.[1] }));
    const pick = ({
      id,
      first_name,
      email,
      city,
      signup_date,
      last_login_at,
      is_active,
      exactValue,
    }: Record<string, unknown>): unknown => ({
      id,
      first_name,
      email,
      city,
      signup_date,
      last_login_at,
      is_active,
      exactValue,
    });
    expect(rows.map(pick)).toEqual([
      {
        id: 1,
        first_name: 'Ann',
        email: 'ann@example.com',
        city: 'Boston',
        signup_date: '2024-01-02',
        last_login_at: '2024-01-02T03:04:05.000Z',
        is_active: true,
        exactValue: '12.50',
      },
      {
        id: 2,
        first_name: 'Bo',
        email: 'bo@example.com',
        city: 'Oslo',
        signup_date: '2024-01-03',
        last_login_at: '2024-01-02T00:00:00.000Z',
        is_active: false,
        exactValue: '99.95',
      },
      {
        id: 3,
        first_name: 'Cy',
        email: 'cy@example.com',
        city: 'Rome',
        signup_date: '2024-01-04',
        last_login_at: '2024-01-02T00:00:00.000Z',
        is_active: true,
        exactValue: '7.00',
      },
      {
        id: 4,
        first_name: 'Di',
        email: 'di@example.com',
        city: '=1+1',
        signup_date: '2024-01-05',
        last_login_at: '2024-01-02T01:04:05.000Z',
        is_active: false,
        exactValue: '0.00',
      },
      {
        id: 5,
        first_name: 'Ed',
        email: 'ed@example.com',
        city: 'Lima',
        signup_date: '2024-01-06',
        last_login_at: '2024-01-02T00:00:00.000Z',
        is_active: true,
        exactValue: '9007199254740993.00',
      },
    ]);
    expect(rows[0]).toMatchObject({ tags: ['a'], address: { street: '1 Main St', zip: '02101' }, phone: null, _run_id: 'etl', _page: 1 });
  });

  it('reliability row 11: writes every rejected row (missing id, wrong types, invalid values) to <name>.rejects.ndjson with its reasons, and counts them', async () => {
    await stage();
    const path = join(dir, 'clean.parquet');
    const result = await writeFinalFile(store, { format: 'parquet', path, transform: 'clean', cleanSchema: declared(customerSchema) });
    expect(result.rejectsPath).toBe(join(dir, 'clean.rejects.ndjson'));
    const rejects = readFileSync(result.rejectsPath!, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { page: number; seq: number; key: string | null; reasons: string[]; record: Record<string, unknown> },
      );
    expect(rejects.map(({ page, seq, key, reasons }) => ({ page, seq, key, reasons }))).toEqual([
      { page: 1, seq: 5, key: '6', reasons: ['invalid email'] },
      { page: 2, seq: 1, key: '7', reasons: ['unparseable signup_date'] },
      { page: 2, seq: 2, key: '8', reasons: ['invalid email', 'non-numeric lifetime_value'] },
      { page: 2, seq: 3, key: '9', reasons: ['invalid boolean is_active'] },
      { page: 2, seq: 4, key: 'abc', reasons: ['missing or invalid id'] },
      { page: 2, seq: 5, key: null, reasons: ['missing or invalid id'] },
    ]);
    // The rejected record is kept as it was received.
    expect(rejects[0]?.record).toEqual(JSON.parse(page1[5]!));
    // Rule rejects (unique records) and records without a key, each once.
    expect(result.rejected + result.withoutKey).toBe(rejects.length);
    const types = Object.fromEntries(result.columns.map((c) => [c.name, c.type]));
    expect(types).toMatchObject({
      id: 'BIGINT',
      email: 'VARCHAR',
      signup_date: 'DATE',
      last_login_at: 'TIMESTAMP',
      lifetime_value: 'DECIMAL(18,2)',
      is_active: 'BOOLEAN',
    });
    const exact = await query(`SELECT id, lifetime_value::VARCHAR AS v FROM read_parquet('${path}') WHERE id = 5`);
    expect(exact).toEqual([{ id: 5n, v: '9007199254740993.00' }]);
  });

  it('refuses a file that lost a valid row: the rejects, counted on their own, do not make up for it', async () => {
    await stage();
    const path = join(dir, 'torn.ndjson');
    const failed = writeFinalFile(store, {
      format: 'ndjson',
      path,
      transform: 'clean',
      cleanSchema: declared(customerSchema),
      keyField: 'id',
      // A readable file one row short: the rules' rejects are what the file lacks, so only their own count tells.
      onWritten: (temp) => writeFileSync(temp, readFileSync(temp, 'utf8').split('\n').slice(1).join('\n')),
    });
    await expect(failed).rejects.toThrow(
      /the counts do not add up, so the file is not delivered: rows in the file 4 \+ rejected 5 ≠ unique 10/,
    );
    expect(existsSync(path)).toBe(false);
    expect(existsSync(join(dir, 'torn.rejects.ndjson'))).toBe(false);
  });

  it('types numbers as an 18-digit DECIMAL when every value fits, 38 digits when one does not or has an exponent', async () => {
    const cases: [string, string[], string, string][] = [
      // As JSON text: DuckDB reads a JSON number with a fraction as a double.
      ['fits', ['"1234567890123456.25"', '7'], 'DECIMAL(18,2)', '1234567890123456.25'],
      ['wide', ['"12345678901234567.25"', '7'], 'DECIMAL(38,2)', '12345678901234567.25'],
      ['exponent', ['"1.5e20"', '7.5'], 'DECIMAL(38,1)', '150000000000000000000.0'],
    ];
    for (const [name, values, type, first] of cases) {
      const runStore = await StagingStore.open({ path: join(dir, `${name}.duckdb`), runId: name });
      try {
        const raw = values.map((v, i) => JSON.stringify({ ...base, id: i + 1, email: 'a@b.co', lifetime_value: 'V' }).replace('"V"', v));
        await stageRaw(runStore, 1, raw);
        const path = join(dir, `${name}.parquet`);
        const result = await writeFinalFile(runStore, {
          format: 'parquet',
          path,
          transform: 'clean',
          cleanSchema: declared(customerSchema),
        });
        expect(result.rejected).toBe(0);
        expect(result.columns.find((c) => c.name === 'lifetime_value')?.type).toBe(type);
        expect(await query(`SELECT lifetime_value::VARCHAR AS v FROM read_parquet('${path}') WHERE id = 1`)).toEqual([{ v: first }]);
      } finally {
        await runStore.close();
      }
    }
  });

  it('types numbers again once another page is staged: the type found for the first file does not hold the new digits', async () => {
    const record = (id: number, value: string): string => JSON.stringify({ ...base, id, email: 'a@b.co', lifetime_value: value });
    const write = async (name: string): Promise<string | undefined> => {
      const result = await writeFinalFile(store, {
        format: 'parquet',
        path: join(dir, `${name}.parquet`),
        transform: 'clean',
        cleanSchema: declared(customerSchema),
      });
      return result.columns.find((c) => c.name === 'lifetime_value')?.type;
    };
    await stageRaw(store, 1, [record(1, '1.5'), record(2, '20.25')]);
    expect(await write('first')).toBe('DECIMAL(18,2)');
    // The same records: the same type, from what the first file found.
    expect(await write('again')).toBe('DECIMAL(18,2)');
    await stageRaw(store, 2, [record(3, '0.125'), record(4, '-3e2')]);
    expect(await write('second')).toBe('DECIMAL(38,3)');
    expect(await query(`SELECT lifetime_value::VARCHAR AS v FROM read_parquet('${join(dir, 'second.parquet')}') ORDER BY id`)).toEqual([
      { v: '1.500' },
      { v: '20.250' },
      { v: '0.125' },
      { v: '-300.000' },
    ]);
  });
});
