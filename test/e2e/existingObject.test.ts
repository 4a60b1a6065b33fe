import { readFile } from 'node:fs/promises';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startS3Proxy, type RunningS3Proxy } from '../support/startS3Proxy.js';
import { getObjectBytes, listKeys } from './support/deliveredObject.js';
import { customerRequests, INGEST_DATE, silentLogger, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

const SIM = { profile: 'calm', records: 600, seed: 9 } as const;

let env: E2eEnv | undefined;
let proxy: RunningS3Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await env?.close();
  proxy = env = undefined;
});

const keyOf = (runId: string, ext: string): string => `customers/ingest_date=${INGEST_DATE}/customers_${runId}.${ext}`;

describe('an object already at the run key', () => {
  it('reliability row 19: other content there -> a clear failure, the object untouched', async () => {
    env = await startE2eEnv(SIM);
    const runId = 'taken';
    const key = keyOf(runId, 'parquet');
    const other = Buffer.from('someone else’s data');
    await env.client.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: other }));

    const report = await runIngestion(env.options({ runId, pageSize: 200 }), env.context());
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/Refusing to overwrite s3:\/\/lake\/customers\/.*different content/);
    expect(report.delivery).toBeUndefined();
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    expect(await getObjectBytes(env.client, 'lake', key)).toEqual(other);
  });

  it('reliability row 20: the same content there (stopped after the upload, before it was recorded) -> recognised as delivered, no second upload', async () => {
    env = await startE2eEnv(SIM);
    proxy = await startS3Proxy(env.s3.endpoint);
    const runId = 'stopped-after-upload';
    const key = keyOf(runId, 'csv');
    const options = env.options({ runId, format: 'csv', pageSize: 200, s3Endpoint: proxy.endpoint });

    // The first attempt is stopped at the first S3 request after the data object's PUT went through.
    const controller = new AbortController();
    let putSeen = false;
    proxy.setHook(({ operation, path }) => {
      if (operation === 'PutObject' && decodeURIComponent(path).includes(key)) putSeen = true;
      else if (putSeen && !controller.signal.aborted) controller.abort(new Error('simulated crash after the upload'));
    });
    const first = await runIngestion(options, env.context({ signal: controller.signal }));
    proxy.setHook(undefined);
    expect(putSeen).toBe(true);
    // Stopped by its signal: a cancelled run, not delivered.
    expect(first.status).toBe('cancelled');
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    const stored = await getObjectBytes(env.client, 'lake', key);
    expect(stored).toEqual(await readFile(first.output!.path));

    proxy.clear();
    const requests = customerRequests(env.sim);
    const second = await runIngestion(options, env.context());
    expect(second.error).toBeUndefined();
    expect(second.status).toBe('succeeded');
    expect(second.delivery?.status).toBe('alreadyDelivered');
    expect(customerRequests(env.sim)).toBe(requests);
    expect(
      proxy.requests.filter(
        (r) => decodeURIComponent(r.path).includes(key) && ['PutObject', 'UploadPart', 'CompleteMultipartUpload'].includes(r.operation),
      ),
    ).toEqual([]);
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    expect(await getObjectBytes(env.client, 'lake', key)).toEqual(stored);
  });

  it('reliability row 21: a second run with the same run id while the first runs is refused; the first still succeeds', async () => {
    env = await startE2eEnv({ ...SIM, latency: { kind: 'fixed', ms: 50 } });
    const options = env.options({ runId: 'twice', pageSize: 100 });
    let firstStaged!: () => void;
    const staged = new Promise<void>((resolve) => (firstStaged = resolve));
    const first = runIngestion(options, env.context({ onEvent: (e) => e.type === 'page.staged' && firstStaged() }));
    await staged;
    await expect(runIngestion(options, env.context())).rejects.toThrow(/run twice is already in progress/);
    const report = await first;
    expect(report.status).toBe('succeeded');
    expect(report.records.unique).toBe(SIM.records);
    // One request per page, all the first run's: the second fetched nothing.
    expect(customerRequests(env.sim)).toBe(SIM.records / 100);
  });
});

describe('one data file per partition', () => {
  const partition = `customers/ingest_date=${INGEST_DATE}/`;

  it("a second run id for the same dataset and day is refused before its first request, naming the first run's file; deleting it lets the day be ingested again", async () => {
    env = await startE2eEnv(SIM);
    const morning = await runIngestion(env.options({ runId: 'morning', pageSize: 200 }), env.context());
    expect(morning.status).toBe('succeeded');
    const requests = customerRequests(env.sim);

    // Another run id, another format: still the same dataset and day.
    const evening = await runIngestion(env.options({ runId: 'evening', format: 'csv', pageSize: 200 }), env.context());
    expect(evening.status).toBe('failed');
    expect(evening.error).toBe(
      `Login, bucket or partition check failed: s3://lake/${keyOf('morning', 'parquet')} is another run's data file of customers for ${INGEST_DATE}, and a partition holds one data file: ` +
        'resume that run with its own --run-id, or delete that object to ingest the day again as evening',
    );
    expect(customerRequests(env.sim)).toBe(requests);
    expect(await listKeys(env.client, 'lake', partition)).toEqual([keyOf('morning', 'parquet')]);

    await env.client.send(new DeleteObjectCommand({ Bucket: 'lake', Key: keyOf('morning', 'parquet') }));
    const again = await runIngestion(env.options({ runId: 'evening', format: 'csv', pageSize: 200 }), env.context());
    expect(again.error).toBeUndefined();
    expect(await listKeys(env.client, 'lake', partition)).toEqual([keyOf('evening', 'csv')]);
  });

  it('a file another run delivered while this one fetched is found again before the upload: nothing is uploaded', async () => {
    env = await startE2eEnv(SIM);
    const lake = env;
    let planted = false;
    // Another run's file lands after this run's first check, while it fetches its pages.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (!planted && String(input).includes('/customers')) {
        planted = true;
        await lake.client.send(new PutObjectCommand({ Bucket: 'lake', Key: keyOf('other', 'parquet'), Body: 'theirs' }));
      }
      return globalThis.fetch(input, init);
    };
    const report = await runIngestion(
      env.options({ runId: 'late', pageSize: 200 }),
      env.context({ runtime: { logger: silentLogger, fetch } }),
    );
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(
      /^Uploading the file failed: s3:\/\/lake\/customers\/ingest_date=.*\/customers_other\.parquet is another run's data file/,
    );
    expect(await listKeys(env.client, 'lake', partition)).toEqual([keyOf('other', 'parquet')]);
  });

  it('credentials that may write but not list: the check is skipped with a warning, and the run delivers', async () => {
    env = await startE2eEnv(SIM);
    proxy = await startS3Proxy(env.s3.endpoint, ({ method, path }) =>
      method === 'GET' && path.includes('list-type=2') ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined,
    );
    const warnings: { msg: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as { msg: string }) });
    const report = await runIngestion(
      env.options({ runId: 'no-list', pageSize: 200, s3Endpoint: proxy.endpoint }),
      env.context({ runtime: { logger } }),
    );
    expect(report.error).toBeUndefined();
    expect(proxy.requests.filter((r) => r.path.includes('list-type=2') && r.outcome === 403).length).toBeGreaterThanOrEqual(2);
    expect(warnings.map((w) => w.msg)).toContain("listing the partition is refused: another run's data file in it cannot be detected");
    expect(await listKeys(env.client, 'lake', partition)).toEqual([keyOf('no-list', 'parquet')]);
  });

  it('a key template without the day gives every run its own file: no check', async () => {
    env = await startE2eEnv(SIM);
    const keyTemplate = '{prefix}/{dataset}/{run_id}.{ext}';
    for (const runId of ['first', 'second']) {
      const report = await runIngestion(env.options({ runId, pageSize: 200, keyTemplate }), env.context());
      expect(report.error).toBeUndefined();
    }
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual(['customers/first.parquet', 'customers/second.parquet']);
  });
});
