import { readFile, writeFile } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { getObjectText, idOf, listKeys, readDelivered, type Format } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, startLake, type Lake } from './support/e2eEnv.js';
import { ExactNumber, type ExactValue } from './support/exactJson.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

let api: RunningHttpApi | undefined;
let lake: Lake | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const wide = (id: number, keys: number): string => `{"id":${id},${Array.from({ length: keys }, (_, i) => `"k${i}":${i}`).join(',')}}`;

/**
 * Each resource's page, as the exact text the API sends (JSON.stringify could not make the deep
 * one): the hostile records first, then what must land. `refused` are the reasons of the hostile
 * ones in order; `landed` the ids of the rest.
 */
const hostile = {
  deep: {
    records: [`{"id":1,"d":${nested(100_000)}}`, `{"id":2,"d":${nested(64 - 1)}}`],
    refused: ['record nested deeper than maxRecordDepth 64'],
  },
  keyless: { records: [`{"d":${nested(100_000)}}`, '{"id":2}'], refused: ['record nested deeper than maxRecordDepth 64'] },
  keys: { records: [wide(1, 10_000), wide(2, 1999)], refused: ['record with more than maxRecordKeys 2000 keys'] },
  // Two records of 1,000 distinct keys each: within the limits, 2,000 columns (the report ran out of memory on them).
  many: { records: [wide(1, 1000), `{"id":2,${Array.from({ length: 1000 }, (_, i) => `"j${i}":"${i}"`).join(',')}}`], refused: [] },
  big: {
    records: [`{"id":1,"s":"${'x'.repeat(1_048_576)}"}`, `{"id":2,"s":"${'x'.repeat(1000)}"}`],
    refused: ['record of 1048591 bytes is larger than maxRecordBytes 1048576'],
  },
  poison: {
    records: [
      '{"id":1,"s":"a\\ud800b"}',
      '{"id":2,"":1}',
      '{"id":3,"*":1}',
      '{"id":4,"a\\u0000b":1}',
      '{"id":5,"id":6}',
      '{"id":7,"s":"\\ud83d\\ude00","o":{"":1,"*":2}}',
    ],
    refused: [
      'lone surrogate escape \\ud800 in a string',
      'field name "" cannot be a column',
      'field name "*" cannot be a column',
      'field name "a\\u0000b" holds a control character',
      'field name "id" appears twice in one object',
    ],
  },
} as const;
type Case = keyof typeof hostile;

/** `ingest run --source` over the given resources (each served from `/<name>` as one page), to the lake, as NDJSON (or `format`). */
async function ingest(
  names: readonly string[],
  runId: string,
  extra: readonly string[] = [],
  format: Format = 'ndjson',
): Promise<{ exit: number; stderr: string }> {
  const file = join(lake!.dataDir, `${runId}.source.json`);
  const resources = names.map((name) => ({ name, path: `/${name}`, records: '$', paginator: { type: 'single' } }));
  await writeFile(file, JSON.stringify({ name: 'hostile', api: { baseUrl: api!.url, auth: { type: 'none' } }, resources }));
  const cli = spawnCli([...sourceRunArgs(lake!, file, runId), '--format', format, ...extra], s3Env(lake!));
  return { exit: await cli.exited, stderr: cli.stderr() };
}

/** The API serving `pages` (path -> the page's record texts) and the lake. */
async function start(pages: Readonly<Record<string, readonly string[]>>): Promise<void> {
  api = await startHttpApi(({ url }) => {
    const records = pages[url.pathname.slice(1)];
    return records === undefined ? { status: 404, body: { error: 'not found' } } : { rawBody: `[${records.join(',')}]` };
  });
  lake = await startLake();
}

interface RejectLine {
  readonly seq: number;
  readonly key: string | null;
  readonly reasons: string[];
  readonly record: unknown;
}
const rejectLines = (text: string): RejectLine[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RejectLine);
const reportKey = (dataset: string, runId: string, ext: string): string => `_reports/${dataset}/ingest_date=${INGEST_DATE}/${runId}.${ext}`;
const num = (value: ExactValue | undefined): number => Number(value instanceof ExactNumber ? value.text : value);

describe('hostile data through ingest run: nothing lost silently, nothing crashes', () => {
  it('every hostile record goes to the rejects, its exact text kept with its reason; the rest lands exactly and the run succeeds', async () => {
    await start(Object.fromEntries(Object.entries(hostile).map(([name, { records }]) => [name, records])));
    const run = await ingest(Object.keys(hostile), 'hostile-1');
    expect(run.exit, run.stderr).toBe(0);

    for (const [name, { records, refused }] of Object.entries(hostile) as [Case, (typeof hostile)[Case]][]) {
      const landed = records.slice(refused.length);
      const object = await readDelivered(lake!.client, BUCKET, `${name}/ingest_date=${INGEST_DATE}/${name}_hostile-1.ndjson`, 'ndjson');
      expect(object.rows.map(idOf).sort(), name).toEqual(landed.map((text) => (JSON.parse(text) as { id: number }).id));
      const report = JSON.parse(await getObjectText(lake!.client, BUCKET, reportKey(name, 'hostile-1', 'report.json'))) as {
        status: string;
        records: Record<string, number>;
      };
      expect(report.status, name).toBe('succeeded');
      // A refused record is counted as refused, apart from those without a key, and the counts add up.
      expect(report.records, name).toEqual({
        received: records.length,
        unique: landed.length,
        duplicates: 0,
        withoutKey: 0,
        refused: refused.length,
        rejected: 0,
      });
      const rejectsKey = reportKey(name, 'hostile-1', 'rejects.ndjson');
      if (refused.length === 0) {
        expect(await listKeys(lake!.client, BUCKET, rejectsKey), name).toEqual([]);
        continue;
      }
      const rejects = rejectLines(await getObjectText(lake!.client, BUCKET, rejectsKey));
      expect(
        rejects.map(({ seq, key, reasons }) => ({ seq, key, reasons })),
        name,
      ).toEqual(refused.map((reason, seq) => ({ seq, key: null, reasons: [reason] })));
      // The record is its exact text, as a JSON string: byte for byte what the API sent.
      expect(
        rejects.map((line) => line.record),
        name,
      ).toEqual(records.slice(0, refused.length));
    }

    // What lands, lands exactly: a paired surrogate is its character, a nested "" and "*" are struct fields.
    const poison = await readDelivered(lake!.client, BUCKET, `poison/ingest_date=${INGEST_DATE}/poison_hostile-1.ndjson`, 'ndjson');
    expect(poison.rows[0]?.['s']).toBe('😀');
    expect(poison.rows[0]?.['o']).toEqual({ '': new ExactNumber('1'), '*': new ExactNumber('2') });
    const many = await readDelivered(lake!.client, BUCKET, `many/ingest_date=${INGEST_DATE}/many_hostile-1.ndjson`, 'ndjson');
    const [first, second] = [...many.rows].sort((a, b) => idOf(a) - idOf(b));
    expect(num(first?.['k999'])).toBe(999);
    expect(second?.['j999']).toBe('999');
    expect(many.columns.filter((c) => /^[kj]\d+$/.test(c))).toHaveLength(2000);
  });

  it('a run whose every record is rejected fails with one sentence, delivers nothing and keeps its checkpoint; so does one past a lowered maxRejectShare', async () => {
    await start({ none: ['{"name":"no id"}', '{"id":2,"":1}'], half: ['{"id":1}', '{"name":"no id"}'] });
    const sentence = (run: { stderr: string }): string | undefined => /^ingest: (.*)$/m.exec(run.stderr)?.[1];
    const localRejects = (name: string, runId: string): Promise<string> =>
      readFile(join(lake!.dataDir, 'output', name, `ingest_date=${INGEST_DATE}`, `${name}_${runId}.rejects.ndjson`), 'utf8');

    for (const attempt of [1, 2]) {
      const run = await ingest(['none'], 'all-rejected');
      expect(run.exit, `attempt ${attempt}`).toBe(1);
      expect(sentence(run)).toMatch(
        /^Writing the final file failed: 2 of 2 records were rejected, all of them: nothing is delivered; the reasons are in .*none_all-rejected\.rejects\.ndjson/,
      );
    }
    expect(await listKeys(lake!.client, BUCKET, 'none/')).toEqual([]);
    // The checkpoint is kept: the rerun wrote the file again from the staged page, without fetching it again.
    expect(api!.requests.filter((r) => r.url.pathname === '/none')).toHaveLength(1);
    expect(rejectLines(await localRejects('none', 'all-rejected')).map((line) => line.reasons)).toEqual([
      ['missing or invalid id'],
      ['field name "" cannot be a column'],
    ]);
    const report = JSON.parse(await getObjectText(lake!.client, BUCKET, reportKey('none', 'all-rejected', 'report.json'))) as {
      status: string;
      error: string;
    };
    expect(report.status).toBe('failed');
    expect(report.error).toContain('2 of 2 records were rejected, all of them: nothing is delivered');

    const strict = await ingest(['half'], 'half-rejected', ['--max-reject-share', '0.5']);
    expect(strict.exit).toBe(1);
    expect(sentence(strict)).toMatch(/failed: 1 of 2 records were rejected, 50%, at or past maxRejectShare 0\.5: nothing is delivered/);
    expect(await listKeys(lake!.client, BUCKET, 'half/')).toEqual([]);
    // The same run with a higher threshold delivers from its checkpoint.
    const lenient = await ingest(['half'], 'half-rejected', ['--max-reject-share', '0.6']);
    expect(lenient.exit, lenient.stderr).toBe(0);
    const object = await readDelivered(lake!.client, BUCKET, `half/ingest_date=${INGEST_DATE}/half_half-rejected.ndjson`, 'ndjson');
    expect(object.rows.map(idOf)).toEqual([1]);
    expect(api!.requests.filter((r) => r.url.pathname === '/half')).toHaveLength(1);
  });

  it('field names are data: keys differing by case and the lineage names land in every format, each under a recorded name', async () => {
    // The literal `name__2` of the second record is the name the columnar formats give `name`: it moves on too.
    const records = [
      '{"id":1,"Name":"upper","name":"lower","NAME":3,"_run_id":"theirs","_page":{"a":1}}',
      '{"id":2,"name":"only lower","name__2":"literal"}',
    ];
    const formats: readonly Format[] = ['parquet', 'csv', 'ndjson', 'json'];
    await start(Object.fromEntries(formats.map((format) => [`names_${format}`, records])));
    // Parquet and CSV names ignore case: each later field takes the first free `<name>__<n>`; JSON keeps every key.
    const caseless = [
      { field: 'name', column: 'name__2', reason: 'column Name has the name but for case, and Parquet and CSV names ignore case' },
      { field: 'NAME', column: 'NAME__3', reason: 'column Name has the name but for case, and Parquet and CSV names ignore case' },
      { field: '_run_id', column: '_run_id__2', reason: "_run_id is the product's lineage column" },
      { field: '_page', column: '_page__2', reason: "_page is the product's lineage column" },
      { field: 'name__2', column: 'name__2__2', reason: 'column name__2 has the name' },
    ];
    const renamed = { parquet: caseless, csv: caseless, ndjson: caseless.slice(2, 4), json: caseless.slice(2, 4) };
    for (const format of formats) {
      const dataset = `names_${format}`;
      const run = await ingest([dataset], `names-${format}`, [], format);
      expect(run.exit, run.stderr).toBe(0);
      const object = await readDelivered(
        lake!.client,
        BUCKET,
        `${dataset}/ingest_date=${INGEST_DATE}/${dataset}_names-${format}.${format}`,
        format,
      );
      const columnar = format === 'parquet' || format === 'csv';
      const at = (name: string): string => renamed[format].find((r) => r.field === name)?.column ?? name;
      expect(object.columns, format).toEqual([
        'id',
        'Name',
        at('name'),
        at('NAME'),
        at('_run_id'),
        at('_page'),
        at('name__2'),
        '_run_id',
        '_page',
        '_fetched_at',
      ]);
      const [first, second] = object.rows;
      const text = (value: ExactValue | undefined): string | undefined =>
        value === undefined || value === null ? undefined : String(value);
      expect([first?.['Name'], first?.[at('name')], second?.[at('name')], second?.[at('name__2')]], format).toEqual([
        'upper',
        'lower',
        'only lower',
        'literal',
      ]);
      expect(num(first?.[at('NAME')]), format).toBe(3);
      expect(first?.[at('_run_id')], format).toBe('theirs');
      // The lineage keeps its own: the run id and the page, whatever the records call their fields.
      expect([first?.['_run_id'], num(first?.['_page'])], format).toEqual([`names-${format}`, 1]);
      // Parquet and CSV hold a JSON field as its text; the JSON formats as JSON.
      expect(columnar ? JSON.parse(text(first?.[at('_page')]) ?? '') : first?.[at('_page')], format).toEqual(
        columnar ? { a: 1 } : { a: new ExactNumber('1') },
      );
      const report = JSON.parse(await getObjectText(lake!.client, BUCKET, reportKey(dataset, `names-${format}`, 'report.json'))) as {
        status: string;
        renamedFields?: unknown;
        schema?: { columns: unknown[] };
      };
      expect(report.status, format).toBe('succeeded');
      expect(report.renamedFields, format).toEqual(renamed[format]);
      const markdown = await getObjectText(lake!.client, BUCKET, reportKey(dataset, `names-${format}`, 'report.md'));
      expect(markdown, format).toContain('## Fields under another name');
      expect(markdown, format).toContain("| `_run_id` | `_run_id__2` | \\_run_id is the product's lineage column |");
      const page = await getObjectText(lake!.client, BUCKET, reportKey(dataset, `names-${format}`, 'report.html'));
      expect(page, format).toContain(
        '<tr><td><code>_run_id</code></td><td><code>_run_id__2</code></td><td>_run_id is the product&#39;s lineage column</td></tr>',
      );
      // The dataset schema names each column as Parquet and CSV do, with the field it holds: the next run keeps the mapping.
      const schema = JSON.parse(await getObjectText(lake!.client, BUCKET, `_schemas/${dataset}.json`)) as { columns: unknown[] };
      expect(schema.columns, format).toEqual([
        { name: 'id', type: 'UBIGINT' },
        { name: 'Name', type: 'VARCHAR' },
        { name: 'name__2', type: 'VARCHAR', key: 'name' },
        { name: 'NAME__3', type: 'UBIGINT', key: 'NAME' },
        { name: '_run_id__2', type: 'VARCHAR', key: '_run_id' },
        { name: '_page__2', type: 'JSON', key: '_page' },
        { name: 'name__2__2', type: 'VARCHAR', key: 'name__2' },
      ]);
    }
  });

  it('a number beyond 2^53 lands exact; staging notes which pages could hold one, so a run without any is not searched for them', async () => {
    await start({
      exact: ['{"id":1,"v":1.5}', '{"id":2,"v":9007199254740993}'],
      plain: ['{"id":1,"v":1.5}', '{"id":2,"v":123456789012345}'],
    });
    const run = await ingest(['exact', 'plain'], 'numbers');
    expect(run.exit, run.stderr).toBe(0);
    const exact = await readDelivered(lake!.client, BUCKET, `exact/ingest_date=${INGEST_DATE}/exact_numbers.ndjson`, 'ndjson');
    expect(exact.rows.map((r) => (r['v'] as ExactNumber).text)).toEqual(['1.5', '9007199254740993']);
    const plain = await readDelivered(lake!.client, BUCKET, `plain/ingest_date=${INGEST_DATE}/plain_numbers.ndjson`, 'ndjson');
    expect(plain.rows.map((r) => Number((r['v'] as ExactNumber).text))).toEqual([1.5, 123456789012345]);
    for (const [dataset, type, long] of [
      ['exact', 'DECIMAL(38, 1)', true],
      ['plain', 'DOUBLE', false],
    ] as const) {
      const schema = JSON.parse(await getObjectText(lake!.client, BUCKET, `_schemas/${dataset}.json`)) as { columns: { name: string }[] };
      expect(
        schema.columns.find((c) => c.name === 'v'),
        dataset,
      ).toEqual({ name: 'v', type });
      const instance = await DuckDBInstance.create(join(lake!.dataDir, 'staging', dataset, 'numbers.duckdb'), { access_mode: 'READ_ONLY' });
      const conn = await instance.connect();
      try {
        expect((await conn.runAndReadAll('SELECT long_numbers FROM pages')).getRows(), dataset).toEqual([[long]]);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    }
  });
});
