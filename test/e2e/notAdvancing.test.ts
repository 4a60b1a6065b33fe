import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startS3rver } from '../support/startS3rver.js';
import { listKeys } from './support/deliveredObject.js';
import { BUCKET, INGEST_DATE, silentLogger } from './support/e2eEnv.js';

type Broken = 'page' | 'offset' | 'cursor' | 'link';

/** The same 10 records for any request, whatever its page, offset or cursor; the metadata promises 1000 pages. */
async function startStuckApi(broken: Broken): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let requests = 0;
  const data = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}` }));
  const server: Server = createServer((req, res) => {
    requests++;
    const url = `http://${req.headers.host ?? ''}${req.url ?? '/'}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // A link that points at the page itself; a cursor that comes back to an earlier one.
    if (broken === 'link') headers['link'] = `<${url}>; rel="next"`;
    const cursor = new URL(url).searchParams.get('cursor');
    const metadata =
      broken === 'offset'
        ? { total: 10_000 }
        : broken === 'cursor'
          ? { next_cursor: cursor === 'b' ? 'a' : cursor === 'a' ? 'b' : 'a' }
          : { total_pages: 1000, total_records: 10_000, has_next: true };
    res.writeHead(200, headers).end(JSON.stringify({ data, metadata }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
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

describe('a paginator that does not advance stops the run', () => {
  it.each([
    [
      'page',
      /\/items is not advancing: pages \d+, \d+ and \d+ repeat the records of page 1 \(same keys\): it seems to ignore the "page" parameter; stopping/,
    ],
    [
      'offset',
      /\/items is not advancing: pages \d+, \d+ and \d+ repeat the records of page 1 \(same keys\): it seems to ignore the "offset" parameter; stopping/,
    ],
    ['cursor', /page 3 points back to an earlier cursor/],
    ['link', /page 2's next link is the page's own URL/],
  ] as const)('%s: fails within a handful of pages with one sentence; nothing is delivered', async (broken, sentence) => {
    const api = await startStuckApi(broken);
    cleanup.push(() => api.close());
    const s3 = await startS3rver({ bucket: BUCKET });
    cleanup.push(() => s3.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-stuck-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
    cleanup.push(async () => client.destroy());

    const report = await runIngestion(
      {
        apiUrl: api.url,
        endpoint: '/items',
        auth: 'none',
        pagination: broken,
        pageSize: 10,
        rateLimit: 200,
        format: 'ndjson',
        bucket: BUCKET,
        s3Endpoint: s3.endpoint,
        s3ForcePathStyle: true,
        dataDir,
        logDir: join(dataDir, 'logs'),
        ingestDate: INGEST_DATE,
        runId: `stuck-${broken}`,
      },
      { s3Credentials: s3.credentials, runtime: { logger: silentLogger } },
    );

    expect(report.status).toBe('failed');
    expect(report.error).toMatch(sentence);
    // A handful of pages: the ones already in flight when the repeat was noticed, not a thousand
    // (up to 40 on an idle machine, 61 beside another test file on two cores).
    expect(api.requests()).toBeLessThan(100);
    expect(await listKeys(client, BUCKET, 'items/')).toEqual([]);
  });
});
