import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/runConfig.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunReport } from '../../src/report/runReport.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { getObjectBytes, getObjectText, listKeys, readDelivered } from './support/deliveredObject.js';
import { BUCKET, silentLogger } from './support/e2eEnv.js';
import { ExactNumber, type ExactValue } from './support/exactJson.js';

type Rec = Record<string, unknown>;

/** `GET /items` over real HTTP: one page of the records the test set, or a 400 when `refuse` is set. */
interface ItemsApi {
  readonly url: string;
  records: readonly Rec[];
  refuse: boolean;
  close(): Promise<void>;
}

async function startItemsApi(): Promise<ItemsApi> {
  const api = { records: [] as readonly Rec[], refuse: false };
  const server: Server = createServer((req, res) => {
    if (api.refuse) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad request"}');
    const body = JSON.stringify({ data: api.records, metadata: { page: 1, total_pages: 1, total_records: api.records.length } });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(api, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

let api: ItemsApi;
let s3: RunningS3rver;
let client: S3Client;
let dataDir: string;

beforeEach(async () => {
  api = await startItemsApi();
  s3 = await startS3rver({ bucket: BUCKET });
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  dataDir = await mkdtemp(join(tmpdir(), 'e2e-schema-'));
});
afterEach(async () => {
  client.destroy();
  await api.close();
  await s3.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function run(overrides: Partial<RunConfigInput>): Promise<RunReport> {
  return runIngestion(
    {
      apiUrl: api.url,
      endpoint: '/items',
      auth: 'none',
      pageSize: 100,
      rateLimit: 100,
      format: 'parquet',
      bucket: BUCKET,
      s3Endpoint: s3.endpoint,
      s3ForcePathStyle: true,
      checksum: 'SHA256',
      dataDir,
      logDir: join(dataDir, 'logs'),
      ...overrides,
    },
    { s3Credentials: s3.credentials, runtime: { logger: silentLogger } },
  );
}

/** Runs `sql` over delivered objects downloaded to local files (`$0`, `$1`... name them). */
async function queryObjects(keys: readonly string[], sql: string): Promise<Record<string, unknown>[]> {
  const files = await Promise.all(
    keys.map(async (key, i) => {
      const file = join(dataDir, `read-${i}-${key.split('/').pop()}`);
      await writeFile(file, await getObjectBytes(client, BUCKET, key));
      return file;
    }),
  );
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const text = files.reduce((q, file, i) => q.replaceAll(`$${i}`, `'${file}'`), sql);
    return (await conn.runAndReadAll(text)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** An exactly parsed value with its numbers as JS numbers. */
const plain = (value: ExactValue): unknown =>
  value instanceof ExactNumber
    ? Number(value.text)
    : Array.isArray(value)
      ? value.map(plain)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v as ExactValue)]))
        : value;

const SCHEMA_KEY = '_schemas/items.json';
const dataKey = (day: string, runId: string, ext = 'parquet'): string => `items/ingest_date=${day}/items_${runId}.${ext}`;

describe('a dataset schema that holds across runs (ELT)', () => {
  it('keeps the types of day 1 on day 2: misfits go to a variant column, a new field adds a column, both reported', async () => {
    api.records = [
      { id: 1, amount: 10, day: '2018-10-12' },
      { id: 2, amount: 12.5, day: '2018-10-13' },
    ];
    const first = await run({ ingestDate: '2026-01-01', runId: 'day1' });
    expect(first.error).toBeUndefined();
    expect(first.schemaChanges).toEqual([]);
    const stored = JSON.parse(await getObjectText(client, BUCKET, SCHEMA_KEY)) as { columns: { name: string; type: string }[] };
    expect(stored.columns).toEqual([
      { name: 'id', type: 'UBIGINT' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'day', type: 'VARCHAR' },
    ]);
    expect(first.schema).toEqual({ uri: `s3://${BUCKET}/${SCHEMA_KEY}`, columns: stored.columns });

    // Day 2: some amounts are text (they alone would type the column VARCHAR), and a field is new.
    api.records = [
      { id: 3, amount: '12.50 EUR', day: '2018-10-14', note: 'late' },
      { id: 4, amount: 7, day: '2018-10-15', note: null },
      { id: 5, amount: 'n/a', day: '2018-10-16' },
    ];
    const second = await run({ ingestDate: '2026-01-02', runId: 'day2' });
    expect(second.error).toBeUndefined();
    expect(second.records.rejected).toBe(0);
    expect(second.schemaChanges).toEqual([
      { column: 'note', type: 'VARCHAR', change: 'added' },
      { column: 'amount__v_text', type: 'VARCHAR', change: 'variant', variantOf: 'amount' },
    ]);
    const markdown = await getObjectText(client, BUCKET, `_reports/items/ingest_date=2026-01-02/day2.report.md`);
    expect(markdown).toContain('## Schema changes');
    expect(markdown).toMatch(/\| `amount__v_text` \| VARCHAR \| values of `amount` that do not fit its type \|/);
    expect(markdown).toMatch(/\| `note` \| VARCHAR \| new field \|/);
    const page = await getObjectText(client, BUCKET, `_reports/items/ingest_date=2026-01-02/day2.report.html`);
    expect(page).toContain(
      '<tr><td><code>amount__v_text</code></td><td>VARCHAR</td><td>values of <code>amount</code> that do not fit its type</td></tr>',
    );
    expect(page).toContain('<tr><td><code>note</code></td><td>VARCHAR</td><td>new field</td></tr>');
    const storedAfter = JSON.parse(await getObjectText(client, BUCKET, SCHEMA_KEY)) as { columns: unknown[] };
    expect(storedAfter.columns).toEqual([
      ...stored.columns,
      { name: 'note', type: 'VARCHAR' },
      { name: 'amount__v_text', type: 'VARCHAR', variantOf: 'amount' },
    ]);

    // Both day partitions read as one table with one type for `amount`; no value is lost.
    const keys = [dataKey('2026-01-01', 'day1'), dataKey('2026-01-02', 'day2')];
    const types = await queryObjects(keys, `DESCRIBE SELECT * FROM read_parquet([$0, $1], union_by_name = true)`);
    expect(Object.fromEntries(types.map((t) => [t['column_name'], t['column_type']]))).toMatchObject({
      amount: 'DOUBLE',
      amount__v_text: 'VARCHAR',
      note: 'VARCHAR',
      day: 'VARCHAR',
    });
    const rows = await queryObjects(
      keys,
      `SELECT id::INTEGER AS id, amount, amount__v_text, note FROM read_parquet([$0, $1], union_by_name = true) ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, amount: 10, amount__v_text: null, note: null },
      { id: 2, amount: 12.5, amount__v_text: null, note: null },
      { id: 3, amount: null, amount__v_text: '12.50 EUR', note: 'late' },
      { id: 4, amount: 7, amount__v_text: null, note: null },
      { id: 5, amount: null, amount__v_text: 'n/a', note: null },
    ]);

    // Day 3 fits the schema as it now is: no change, and the stored columns keep their place (amount__v_text empty).
    api.records = [{ id: 6, amount: 1, day: '2018-10-17', note: 'x' }];
    const third = await run({ ingestDate: '2026-01-03', runId: 'day3' });
    expect(third.schemaChanges).toEqual([]);
    const day3 = await readDelivered(client, BUCKET, dataKey('2026-01-03', 'day3'), 'parquet');
    expect(day3.columns).toEqual(['id', 'amount', 'day', 'note', 'amount__v_text', '_run_id', '_page', '_fetched_at']);
  });

  it('records no schema when the run fails, and records it on the first run that delivers', async () => {
    api.refuse = true;
    const failed = await run({ ingestDate: '2026-01-01', runId: 'refused' });
    expect(failed.status).toBe('failed');
    expect(await listKeys(client, BUCKET, '_schemas/')).toEqual([]);

    api.refuse = false;
    api.records = [{ id: 1, name: 'a' }];
    const delivered = await run({ ingestDate: '2026-01-01', runId: 'delivered' });
    expect(delivered.status).toBe('succeeded');
    expect(await listKeys(client, BUCKET, '_schemas/')).toEqual([SCHEMA_KEY]);
  });

  it.each(['parquet', 'csv', 'ndjson', 'json'] as const)('lands text values without JSON quotes in %s', async (format) => {
    api.records = [
      { id: 1, day: '2018-10-12', ref: 'A-1', meta: { s: 'x "y"' } },
      { id: 2, day: 'say "hi"\\', ref: 7, meta: ['a', 1] },
    ];
    const report = await run({ ingestDate: '2026-01-01', runId: `quotes-${format}`, format });
    expect(report.error).toBeUndefined();
    const { rows } = await readDelivered(client, BUCKET, dataKey('2026-01-01', `quotes-${format}`, format), format);
    const values = rows.map((r) => plain(r) as Rec);
    const cells = values.map((r) => ({ day: String(r['day']), ref: String(r['ref']), meta: String(r['meta']) }));
    expect(cells.map((c) => c.day)).toEqual(['2018-10-12', 'say "hi"\\']);
    // `ref` holds a string and a number: the string is its text, never `"A-1"`.
    expect(cells.map((c) => c.ref)).toEqual(['A-1', '7']);
    if (format === 'parquet' || format === 'csv') {
      // Objects and arrays are their JSON text in the text-typed formats.
      expect(cells.map((c) => JSON.parse(c.meta) as unknown)).toEqual([{ s: 'x "y"' }, ['a', 1]]);
    } else {
      expect(values.map((r) => r['meta'])).toEqual([{ s: 'x "y"' }, ['a', 1]]);
    }
  });
});
