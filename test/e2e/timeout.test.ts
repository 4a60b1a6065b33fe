import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, silentLogger } from './support/e2eEnv.js';

const RECORDS = 25;
const PAGE_SIZE = 10;
const PAGES = Math.ceil(RECORDS / PAGE_SIZE);
/** The one slow answer: far beyond the fixed timeout below, short enough for a test. */
const SLOW_MS = 1000;
const TIMEOUT_SECONDS = 0.3;

interface ItemsApi {
  readonly url: string;
  /** Page numbers requested, in order. */
  readonly requested: number[];
  close(): Promise<void>;
}

/** `GET /items?page=&limit=` over real HTTP on 127.0.0.1; the first request for `slowPage` answers after SLOW_MS. */
async function startItemsApi(slowPage: number): Promise<ItemsApi> {
  const requested: number[] = [];
  let slowServed = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/items') {
      res.writeHead(404).end();
      return;
    }
    const page = Number(url.searchParams.get('page'));
    const limit = Number(url.searchParams.get('limit'));
    requested.push(page);
    const first = (page - 1) * limit;
    const data = Array.from({ length: Math.max(0, Math.min(limit, RECORDS - first)) }, (_, i) => ({
      id: first + i + 1,
      name: `item ${first + i + 1}`,
    }));
    const body = JSON.stringify({ data, metadata: { page, total_pages: Math.ceil(RECORDS / limit), total_records: RECORDS } });
    const answer = (): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    if (page === slowPage && !slowServed) {
      slowServed = true;
      const timer = setTimeout(answer, SLOW_MS);
      // The client gave up: nothing to answer.
      res.on('close', () => clearTimeout(timer));
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('--timeout-seconds', () => {
  it('cuts an attempt that takes longer than the fixed timeout and retries it; the run delivers every record', async () => {
    const api = await startItemsApi(2);
    cleanup.push(() => api.close());
    const s3: RunningS3rver = await startS3rver({ bucket: BUCKET });
    cleanup.push(() => s3.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-timeout-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
    cleanup.push(async () => client.destroy());

    const report = await runIngestion(
      {
        apiUrl: api.url,
        endpoint: '/items',
        auth: 'none',
        pageSize: PAGE_SIZE,
        timeoutSeconds: TIMEOUT_SECONDS,
        // Known, so that the three pages are not paced by slow start.
        rateLimit: 100,
        format: 'ndjson',
        bucket: BUCKET,
        s3Endpoint: s3.endpoint,
        s3ForcePathStyle: true,
        checksum: 'SHA256',
        dataDir,
        logDir: join(dataDir, 'logs'),
        ingestDate: INGEST_DATE,
        runId: 'timeout',
      },
      { s3Credentials: s3.credentials, runtime: { logger: silentLogger } },
    );

    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    // The slow attempt was cut (not waited for: the adaptive default would have been 10 s) and page 2 asked again.
    expect(report.requests.byStatus['timeout']).toBe(1);
    expect(report.requests.retriesByStatus['timeout']).toBe(1);
    expect(report.requests.total).toBe(PAGES + 1);
    expect(api.requested.filter((p) => p === 2)).toHaveLength(2);
    expect(report.records.unique).toBe(RECORDS);

    const key = `items/ingest_date=${INGEST_DATE}/items_timeout.ndjson`;
    expect(await listKeys(client, BUCKET, 'items/')).toEqual([key]);
    const delivered = await readDelivered(client, BUCKET, key, 'ndjson');
    expect(delivered.rows.map(idOf)).toEqual(Array.from({ length: RECORDS }, (_, i) => i + 1));
  });
});
