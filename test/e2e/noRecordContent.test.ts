import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startS3rver } from '../support/startS3rver.js';
import { spawnCli } from './support/cliProcess.js';
import { BUCKET, INGEST_DATE } from './support/e2eEnv.js';

// Short and first in the record: the old message quoted a body's first 40 characters.
const CANARY = 'Ana-3c9e';

/** Page 1 is a body cut short after a customer's name once, then whole; page 2 is cut short every time. */
async function startCutApi(): Promise<{ url: string; close(): Promise<void> }> {
  let page1Served = 0;
  const server: Server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page'));
    const data = [{ first_name: CANARY, id: page }];
    const whole = JSON.stringify({ data, metadata: { total_pages: 2, total_records: 2 } });
    const cut = page === 2 || page1Served++ === 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(cut ? whole.slice(0, whole.indexOf(CANARY) + CANARY.length) : whole);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

describe('error messages quote no record content', () => {
  it('a body that does not parse is told by its size and the place parsing failed, never its bytes: the canary is in no log, report or error', async () => {
    const api = await startCutApi();
    cleanup.push(() => api.close());
    const s3 = await startS3rver({ bucket: BUCKET });
    cleanup.push(() => s3.close());
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-canary-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const args = ['run', '--api-url', api.url, '--endpoint', '/items', '--auth', 'none', '--bucket', BUCKET, '--s3-endpoint', s3.endpoint];
    const cli = spawnCli(
      [
        ...args,
        '--s3-force-path-style',
        '--data-dir',
        dataDir,
        '--log-dir',
        join(dataDir, 'logs'),
        '--log-level',
        'debug',
        '--ingest-date',
        INGEST_DATE,
        '--run-id',
        'canary',
        '--max-attempts-per-page',
        '2',
        '--no-progress',
      ],
      { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey },
    );
    expect(await cli.exited, cli.stderr()).toBe(1);
    const output = `${cli.stdout()}${cli.stderr()}`;
    expect(output).toMatch(/the body is not JSON \(\d+ bytes, ending before the JSON does\)/);

    const report = JSON.parse(await readFile(join(dataDir, 'reports', 'items', 'canary.report.json'), 'utf8')) as { error: string };
    expect(report.error).toMatch(/page 2 failed 2 times/);
    // Logs and reports: every file the run wrote but the staged records and the rejects.
    const written = (await filesUnder(dataDir)).filter((f) => !/\.duckdb(\.wal)?$/.test(f) && !f.endsWith('.rejects.ndjson'));
    expect(written.some((f) => f.includes('logs'))).toBe(true);
    expect(written.some((f) => f.endsWith('canary.report.md'))).toBe(true);
    for (const file of written) expect(await readFile(file, 'utf8'), file).not.toContain(CANARY);
    expect(output).not.toContain(CANARY);
  });
});
