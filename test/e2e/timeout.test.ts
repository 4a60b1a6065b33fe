import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/runConfig.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunReport } from '../../src/report/runReport.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, lakeRunOptions, silentLogger, startLake } from './support/e2eEnv.js';

const RECORDS = 25;
const PAGE_SIZE = 10;
const PAGES = Math.ceil(RECORDS / PAGE_SIZE);
const TIMEOUT_SECONDS = 0.3;

interface ItemsApi {
  readonly url: string;
  /** Page numbers requested, in order. */
  readonly requested: number[];
  close(): Promise<void>;
}

/** `GET /items?page=&limit=` over real HTTP on 127.0.0.1; the first request for `slowPage` answers after `slowMs`. */
async function startItemsApi(slowPage: number, slowMs: number): Promise<ItemsApi> {
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
      const timer = setTimeout(answer, slowMs);
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

/** One run of `/items` into a fresh local S3 (`extra` on top of the options both tests share), and the delivered ids. */
async function runItems(api: ItemsApi, runId: string, extra: Partial<RunConfigInput>): Promise<{ report: RunReport; ids: number[] }> {
  const lake = await startLake();
  cleanup.push(() => lake.close());
  const report = await runIngestion(
    {
      apiUrl: api.url,
      endpoint: '/items',
      auth: 'none',
      pageSize: PAGE_SIZE,
      // Known, so that the three pages are not paced by slow start.
      rateLimit: 100,
      format: 'ndjson',
      ...lakeRunOptions(lake),
      runId,
      ...extra,
    },
    { s3Credentials: lake.s3.credentials, runtime: { logger: silentLogger } },
  );
  const key = `items/ingest_date=${INGEST_DATE}/items_${runId}.ndjson`;
  expect(await listKeys(lake.client, BUCKET, 'items/')).toEqual([key]);
  const delivered = await readDelivered(lake.client, BUCKET, key, 'ndjson');
  return { report, ids: delivered.rows.map(idOf) };
}

const everyId = Array.from({ length: RECORDS }, (_, i) => i + 1);

describe('--timeout-seconds', () => {
  it('cuts an attempt that takes longer than the fixed timeout and retries it; the run delivers every record', async () => {
    const api = await startItemsApi(2, 1000);
    cleanup.push(() => api.close());
    const { report, ids } = await runItems(api, 'timeout', { timeoutSeconds: TIMEOUT_SECONDS });

    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    // The slow attempt was cut (not waited for: the adaptive default would have been 10 s) and page 2 asked again.
    expect(report.requests.byStatus['timeout']).toBe(1);
    expect(report.requests.retriesByStatus['timeout']).toBe(1);
    expect(report.requests.total).toBe(PAGES + 1);
    expect(api.requested.filter((p) => p === 2)).toHaveLength(2);
    expect(report.records.unique).toBe(RECORDS);
    expect(ids).toEqual(everyId);
  });
});

describe('a slow answer in the run tail', () => {
  it('is hedged: a copy goes after 2 s, its answer is delivered, the slow one is given up and counted as superseded', async () => {
    // Page 3 is the last: once it is the only page left, nothing else waits for the rate.
    const api = await startItemsApi(3, 60_000);
    cleanup.push(() => api.close());
    const started = performance.now();
    const { report, ids } = await runItems(api, 'hedged', {});

    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    // Not held until the attempt's timeout (10 s before 50 answers) nor the answer (60 s).
    expect(performance.now() - started).toBeLessThan(9000);
    expect(api.requested.filter((p) => p === 3)).toHaveLength(2);
    expect(report.requests.total).toBe(PAGES + 1);
    expect(report.requests.byStatus).toEqual({ '200': PAGES, superseded: 1 });
    expect(report.requests.retries).toBe(0);
    expect(report.records.unique).toBe(RECORDS);
    expect(ids).toEqual(everyId);
  });
});
