import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceSpecInput } from '../../src/index.js';
import { spawnCli } from '../e2e/support/cliProcess.js';
import { startLake, type Lake } from '../e2e/support/e2eEnv.js';
import { s3Env, sourceRunArgs } from '../e2e/support/sourceCli.js';
import { oneTo } from '../e2e/support/deliveredObject.js';
import { deliveredResource } from './support/deliveredResource.js';
import { API_PASSWORD, API_USER, startCursorApi, type RunningCursorApi } from './support/startCursorApi.js';

// mockttp (httptoolkit) scripts an API this project did not write: a login, cursor pages with the
// cursor at a path of its own and under a parameter of its own, and faults answered by rules.

let lake: Lake | undefined;
let api: RunningCursorApi | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const RECORDS = 30;
const PAGE_SIZE = 4;
const PAGES = Math.ceil(RECORDS / PAGE_SIZE);

/** The cursor of each page after the first: the last id of the page before. */
const cursors = oneTo(PAGES - 1).map((n) => String(n * PAGE_SIZE));
const pageAnswers = ['page - 200', ...cursors.map((c) => `page ${c} 200`)];

function source(url: string): SourceSpecInput {
  return {
    name: 'shop',
    api: {
      baseUrl: url,
      auth: {
        type: 'login',
        path: '/login',
        body: { username: API_USER, password: '${env:CONFORMANCE_PASSWORD}' },
        tokenPath: 'access_token',
        expiresInPath: 'expires_in',
      },
    },
    resources: [
      {
        name: 'items',
        path: '/items',
        records: 'items',
        paginator: {
          type: 'cursor',
          cursorParam: 'starting_after',
          sizeParam: 'limit',
          pageSize: PAGE_SIZE,
          nextCursorPath: 'meta.paging.after',
        },
      },
    ],
  };
}

async function runCli(l: Lake, spec: SourceSpecInput, runId: string): Promise<{ code: number; output: string }> {
  const file = join(l.dataDir, 'shop.source.yaml');
  await writeFile(file, JSON.stringify(spec, null, 2));
  const cli = spawnCli(sourceRunArgs(l, file, runId), { ...s3Env(l), CONFORMANCE_PASSWORD: API_PASSWORD });
  const code = await cli.exited;
  return { code, output: `${cli.stdout()}\n${cli.stderr()}` };
}

describe('conformance: mockttp (login, cursor at a custom path and parameter, fault scripts)', () => {
  it('logs in once and follows starting_after cursors to the null one: every id once', async () => {
    [lake, api] = await Promise.all([startLake(), startCursorApi({ records: RECORDS })]);
    const run = await runCli(lake, source(api.url), 'cursor-1');
    expect(run.code, run.output).toBe(0);
    expect(api.answers).toEqual(['login 200', ...pageAnswers]);

    const items = await deliveredResource(lake, 'items');
    expect(items.ids).toEqual(oneTo(RECORDS));
    expect(items.rows[6]).toMatchObject({ sku: 'SKU-00007' });
    expect(items.report.status).toBe('succeeded');
    expect(items.report.records).toMatchObject({ received: RECORDS, unique: RECORDS, duplicates: 0, withoutKey: 0 });
    expect(items.report.output?.rows).toBe(RECORDS);
    expect(items.report.pages.staged).toBe(PAGES);
    expect(items.report.requests).toMatchObject({ total: PAGES, retries: 0, logins: 1, failedLogins: 0 });
    expect(run.output).not.toContain(API_PASSWORD);
  });

  it('a 500 and a 429 with Retry-After: 1 on two pages are retried; every id still lands once', async () => {
    [lake, api] = await Promise.all([startLake(), startCursorApi({ records: RECORDS })]);
    // Rules above the API's own (a higher priority), each used once.
    const failing = await api.server
      .forGet('/items')
      .withQuery({ starting_after: cursors[1]! })
      .asPriority(2)
      .once()
      .thenReply(500, 'boom');
    const limited = await api.server
      .forGet('/items')
      .withQuery({ starting_after: cursors[4]! })
      .asPriority(2)
      .once()
      .thenReply(429, 'slow down', { 'Retry-After': '1' });
    const run = await runCli(lake, source(api.url), 'faults-1');
    expect(run.code, run.output).toBe(0);
    expect(await failing.getSeenRequests()).toHaveLength(1);
    expect(await limited.getSeenRequests()).toHaveLength(1);
    // The API's own rule answered every page once: each failed page was asked again, no page twice after success.
    expect(api.answers).toEqual(['login 200', ...pageAnswers]);

    const items = await deliveredResource(lake, 'items');
    expect(items.ids).toEqual(oneTo(RECORDS));
    expect(items.report.records).toMatchObject({ received: RECORDS, unique: RECORDS, duplicates: 0 });
    expect(items.report.output?.rows).toBe(RECORDS);
    expect(items.report.requests).toMatchObject({ total: PAGES + 2, rateLimited: 1, logins: 1 });
    expect(items.report.requests.byStatus).toMatchObject({ '500': 1, '429': 1 });
  });

  it('a 401 once the token is old brings one new login, and the run goes on', async () => {
    [lake, api] = await Promise.all([startLake(), startCursorApi({ records: RECORDS, pagesPerToken: 5 })]);
    const run = await runCli(lake, source(api.url), 'relogin-1');
    expect(run.code, run.output).toBe(0);
    // Five pages on the first token, a 401 on the sixth, one new login, and the sixth asked again.
    expect(api.answers).toEqual(['login 200', ...pageAnswers.slice(0, 5), `page ${cursors[4]} 401`, 'login 200', ...pageAnswers.slice(5)]);
    const items = await deliveredResource(lake, 'items');
    expect(items.ids).toEqual(oneTo(RECORDS));
    expect(items.report.records).toMatchObject({ received: RECORDS, unique: RECORDS, duplicates: 0 });
    expect(items.report.requests).toMatchObject({ logins: 2, failedLogins: 0 });
    expect(items.report.requests.byStatus).toMatchObject({ '401': 1 });
  });
});
