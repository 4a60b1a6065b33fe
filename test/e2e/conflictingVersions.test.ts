import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { getObjectText, readDelivered } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, startLake, type Lake } from './support/e2eEnv.js';
import { ExactNumber } from './support/exactJson.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

let api: RunningHttpApi | undefined;
let lake: Lake | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

/**
 * Two pages: the second repeats every key of the first. Key 5 is an exact copy; 1 and 7 come back
 * spelled otherwise (`"1"` for 1, `" 7 "` for 7: the same key, since a key is a safe integer or
 * trimmed text), so their records differ; 2 comes back with another value.
 */
const pages: readonly (readonly string[])[] = [
  ['{"id":1,"v":"a"}', '{"id":7,"v":"x"}', '{"id":5,"v":"same"}', '{"id":2,"v":"b"}'],
  ['{"id":"1","v":"a"}', '{"id":" 7 ","v":"x"}', '{ "id": 5, "v": "same" }', '{"id":2,"v":"B"}'],
];

/** `ingest run --source` over resource `name` (pages `?page=1`, `?page=2`, then an empty page) as NDJSON. */
async function ingest(name: string, extra: readonly string[] = []): Promise<{ exit: number; stderr: string }> {
  const file = join(lake!.dataDir, `${name}.source.json`);
  const resources = [{ name, path: `/${name}`, records: '$', paginator: { type: 'page' } }];
  await writeFile(file, JSON.stringify({ name: 'versions', api: { baseUrl: api!.url, auth: { type: 'none' } }, resources }));
  const cli = spawnCli([...sourceRunArgs(lake!, file, 'v1'), '--format', 'ndjson', ...extra], s3Env(lake!));
  return { exit: await cli.exited, stderr: cli.stderr() };
}

const reportKey = (dataset: string, ext: string): string => `_reports/${dataset}/ingest_date=${INGEST_DATE}/v1.${ext}`;

/** The delivered rows as [id, v, _page], in id order. */
async function delivered(name: string): Promise<unknown[][]> {
  const object = await readDelivered(lake!.client, BUCKET, `${name}/ingest_date=${INGEST_DATE}/${name}_v1.ndjson`, 'ndjson');
  return object.rows.map((row) => [row['id'], row['v'], row['_page']]);
}

interface Report {
  status: string;
  records: Record<string, unknown>;
  anomalies: string[];
}

describe('versions are visible: a key seen again with other content is a conflict, counted and named', () => {
  it('keeps the first version by default and names each conflicting key in the report; --on-conflict last keeps the last', async () => {
    api = await startHttpApi(({ url }) => ({ rawBody: `[${(pages[Number(url.searchParams.get('page')) - 1] ?? []).join(',')}]` }));
    lake = await startLake();
    const n = (text: string): ExactNumber => new ExactNumber(text);

    const first = await ingest('first');
    expect(first.exit, first.stderr).toBe(0);
    expect(await delivered('first')).toEqual([
      [n('1'), 'a', n('1')],
      [n('2'), 'b', n('1')],
      [n('5'), 'same', n('1')],
      [n('7'), 'x', n('1')],
    ]);
    const report = JSON.parse(await getObjectText(lake.client, BUCKET, reportKey('first', 'report.json'))) as Report;
    expect(report.status).toBe('succeeded');
    // The exact copy of 5 (its whitespace aside) is a duplicate only; 1, 2 and 7 are conflicting versions.
    expect(report.records).toEqual({
      received: 8,
      unique: 4,
      duplicates: 4,
      conflicts: {
        kept: 'first',
        versions: 3,
        keys: 3,
        examples: [
          { key: '1', pages: [1, 2], keptPage: 1 },
          { key: '7', pages: [1, 2], keptPage: 1 },
          { key: '2', pages: [1, 2], keptPage: 1 },
        ],
      },
      withoutKey: 0,
      refused: 0,
      rejected: 0,
    });
    expect(report.anomalies).toEqual([
      '3 keys arrived in conflicting versions (3 dropped records differ from the version kept, the first by page and position; ' +
        'option onConflict): "1" (pages 1, 2; kept 1), "7" (pages 1, 2; kept 1), "2" (pages 1, 2; kept 1)',
    ]);
    const markdown = await getObjectText(lake.client, BUCKET, reportKey('first', 'report.md'));
    expect(markdown).toMatch(/\| Of which conflicting versions \(other content\) \| +3 \|/);
    expect(markdown).toMatch(/duplicates 4 = exact copies 1 \+ conflicting versions 3 \(of 3 keys\)/);
    expect(markdown).toContain('- 3 keys arrived in conflicting versions');
    const html = await getObjectText(lake.client, BUCKET, reportKey('first', 'report.html'));
    expect(html).toContain('Keys with conflicting versions');
    expect(html).toContain('3 keys arrived in conflicting versions');

    const last = await ingest('last', ['--on-conflict', 'last']);
    expect(last.exit, last.stderr).toBe(0);
    // Each key's last record, exactly as the API sent it: the id spelled as on page 2.
    expect(await delivered('last')).toEqual([
      ['1', 'a', n('2')],
      [n('2'), 'B', n('2')],
      [n('5'), 'same', n('2')],
      [' 7 ', 'x', n('2')],
    ]);
    const lastReport = JSON.parse(await getObjectText(lake.client, BUCKET, reportKey('last', 'report.json'))) as Report;
    expect(lastReport.records['conflicts']).toMatchObject({ kept: 'last', versions: 3, keys: 3 });
    expect(lastReport.anomalies[0]).toContain('"7" (pages 1, 2; kept 2)');
  });

  it("a source of several resources totals their conflicting versions in the source's report", async () => {
    api = await startHttpApi(({ url }) => ({ rawBody: `[${(pages[Number(url.searchParams.get('page')) - 1] ?? []).join(',')}]` }));
    lake = await startLake();
    const file = join(lake.dataDir, 'two.source.json');
    const resources = ['one', 'two'].map((name) => ({ name, path: `/${name}`, records: '$', paginator: { type: 'page' } }));
    await writeFile(file, JSON.stringify({ name: 'versions', api: { baseUrl: api.url, auth: { type: 'none' } }, resources }));
    const cli = spawnCli([...sourceRunArgs(lake, file, 'v2'), '--format', 'ndjson'], s3Env(lake));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const source = JSON.parse(
      await getObjectText(lake.client, BUCKET, `_reports/versions/ingest_date=${INGEST_DATE}/v2.source.report.json`),
    ) as { totals: Record<string, unknown>; resources: Record<string, unknown>[] };
    expect(source.totals).toMatchObject({ conflictingVersions: 6, recordsWithSecrets: 0 });
    expect(source.resources.map((r) => r['conflictingVersions'])).toEqual([3, 3]);
    const markdown = await getObjectText(lake.client, BUCKET, `_reports/versions/ingest_date=${INGEST_DATE}/v2.source.report.md`);
    expect(markdown).toMatch(/\| Conflicting versions \(dropped, in its report\) \| +3 \|/);
  });

  it('a run without conflicting versions reports none: duplicates that are exact copies are only duplicates', async () => {
    api = await startHttpApi(({ url }) => ({ rawBody: url.searchParams.get('page') === '3' ? '[]' : '[{"id":1,"v":"a"}]' }));
    lake = await startLake();
    const run = await ingest('copies');
    expect(run.exit, run.stderr).toBe(0);
    const report = JSON.parse(await getObjectText(lake.client, BUCKET, reportKey('copies', 'report.json'))) as Report;
    expect(report.records).toEqual({ received: 2, unique: 1, duplicates: 1, withoutKey: 0, refused: 0, rejected: 0 });
    expect(report.anomalies).toEqual([]);
  });
});
