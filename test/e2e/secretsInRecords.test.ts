import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startHttpApi, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { getObjectBytes, getObjectText, listKeys, readDelivered } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, silentLogger, startLake, type Lake } from './support/e2eEnv.js';
import { filesUnder } from './support/filesUnder.js';
import { s3Env } from './support/sourceCli.js';

let api: RunningHttpApi | undefined;
let lake: Lake | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const canary = 'tok-canary-51c2e';

/** An API that echoes the bearer token it was called with inside its records: two pages of `{ data, metadata }`. */
async function echoingApi(): Promise<RunningHttpApi> {
  return startHttpApi(({ url, headers }) => {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    const page = Number(url.searchParams.get('page'));
    const data =
      page === 1
        ? [
            { id: 1, note: `called with ${token}`, auth: { token } },
            { id: 2, note: 'nothing to see' },
          ]
        : [{ id: 3, tags: ['a', token] }];
    return { body: { data, metadata: { total_pages: 2 } } };
  });
}

async function ingest(runId: string, dataset: string) {
  const tokenFile = join(lake!.dataDir, 'token.txt');
  await writeFile(tokenFile, canary);
  return runIngestion(
    {
      apiUrl: api!.url,
      endpoint: `/${dataset}`,
      auth: 'bearer',
      tokenFile,
      bucket: BUCKET,
      s3Endpoint: lake!.s3.endpoint,
      s3ForcePathStyle: true,
      dataDir: lake!.dataDir,
      logDir: join(lake!.dataDir, 'logs'),
      ingestDate: INGEST_DATE,
      checksum: 'SHA256',
      format: 'ndjson',
      rateLimit: 200,
      runId,
    },
    { s3Credentials: lake!.s3.credentials, runtime: { logger: silentLogger } },
  );
}

/** The record texts of the run's staging database, read back with DuckDB. */
async function stagedTexts(dataset: string, runId: string): Promise<string[]> {
  const file = (await filesUnder(lake!.dataDir)).find((f) => f.name.endsWith(`${runId}.duckdb`) && f.name.includes(dataset));
  const instance = await DuckDBInstance.create(file!.name, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll('SELECT record::VARCHAR FROM raw_records ORDER BY page, seq')).getRows().map(([t]) => String(t));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('a configured secret echoed inside records', () => {
  it('is masked before staging by default: counted and its fields named in the report, in no staged record, file or object', async () => {
    api = await echoingApi();
    lake = await startLake();
    const report = await ingest('masked', 'echo');
    expect(report.status, report.error).toBe('succeeded');
    expect(report.secretsInRecords).toEqual({ records: 2, masked: 2, fields: ['auth.token', 'note', 'tags[]'] });
    expect(report.anomalies).toContain(
      '2 records held the value of a configured secret (in auth.token, note, tags[]): masked as [REDACTED] before staging (option maskSecretsInRecords)',
    );

    const object = await readDelivered(lake.client, BUCKET, `echo/ingest_date=${INGEST_DATE}/echo_masked.ndjson`, 'ndjson');
    expect(object.rows.map((r) => [r['note'], r['auth'], r['tags']])).toEqual([
      ['called with [REDACTED]', { token: '[REDACTED]' }, null],
      ['nothing to see', null, null],
      [null, null, ['a', '[REDACTED]']],
    ]);
    const staged = await stagedTexts('echo', 'masked');
    expect(staged).toHaveLength(3);
    expect(staged[0]).toBe('{"id":1,"note":"called with [REDACTED]","auth":{"token":"[REDACTED]"}}');
    for (const text of staged) expect(text).not.toContain(canary);
    for (const file of await filesUnder(lake.dataDir)) {
      if (!file.name.endsWith('token.txt')) expect(file.bytes.includes(canary), file.name).toBe(false);
    }
    for (const key of await listKeys(lake.client, BUCKET))
      expect((await getObjectBytes(lake.client, BUCKET, key)).includes(canary), key).toBe(false);
  });

  it('with --no-mask-secrets-in-records lands as sent, and the report says so without the value', async () => {
    api = await echoingApi();
    lake = await startLake();
    const cli = spawnCli(
      [
        'run',
        ...['--api-url', api.url, '--endpoint', '/raw', '--auth', 'bearer', '--run-id', 'kept', '--format', 'ndjson'],
        ...['--bucket', BUCKET, '--s3-endpoint', lake.s3.endpoint, '--s3-force-path-style', '--checksum', 'SHA256'],
        ...['--data-dir', lake.dataDir, '--log-dir', join(lake.dataDir, 'logs'), '--ingest-date', INGEST_DATE, '--no-progress'],
        '--no-mask-secrets-in-records',
      ],
      { ...s3Env(lake), INGEST_TOKEN: canary },
    );
    expect(await cli.exited, cli.stderr()).toBe(0);
    const text = await getObjectText(lake.client, BUCKET, `_reports/raw/ingest_date=${INGEST_DATE}/kept.report.json`);
    expect(text).not.toContain(canary);
    const report = JSON.parse(text) as { secretsInRecords: unknown; anomalies: string[] };
    expect(report.secretsInRecords).toEqual({ records: 2, masked: 0, fields: ['auth.token', 'note', 'tags[]'] });
    expect(report.anomalies.join('\n')).toMatch(
      /2 records held the value of a configured secret .*: not masked, so the value is in the staging file and the output/,
    );
    const object = await readDelivered(lake.client, BUCKET, `raw/ingest_date=${INGEST_DATE}/raw_kept.ndjson`, 'ndjson');
    expect(object.rows[0]?.['note']).toBe(`called with ${canary}`);
    expect((await stagedTexts('raw', 'kept'))[0]).toContain(canary);
  });
});
