import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { resolveSimulatorOptions } from '../../src/simulator/index.js';
import { servedPage } from '../../src/simulator/servedPage.js';
import type { Fetch } from '../../src/runtime/runtime.js';
import { listKeys, readDelivered } from './support/deliveredObject.js';
import { customerRequests, INGEST_DATE, silentLogger, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';

// A little latency, so that the crash lands mid-run whatever the pace.
const SIM = { profile: 'calm', records: 2000, seed: 5, duplicateRate: 0.02, latency: { kind: 'fixed', ms: 20 } } as const;
const PAGE_SIZE = 100;
const PAGES = SIM.records / PAGE_SIZE;
const oracle = oracleById(SIM);
/** Repeats served when every page is fetched once (a page in flight at the crash is served twice). */
const duplicates = Array.from(
  { length: PAGES },
  (_, p) => servedPage(resolveSimulatorOptions(SIM), 'customers', p * PAGE_SIZE, PAGE_SIZE).duplicates,
).reduce((a, b) => a + b, 0);

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** The real fetch, logging the page number of every `/customers` request. */
function pageLogging(pages: number[]): Fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/customers') pages.push(Number(url.searchParams.get('page')));
    return fetch(input, init);
  };
}

describe('reliability row 17: resume after a crash, and a finished run is not redone', () => {
  it('a run stopped after 5 staged pages keeps its checkpoint; the rerun fetches only the rest; a third run fetches nothing', async () => {
    env = await startE2eEnv(SIM);
    const runId = 'resume';
    // At most 20 requests/s: the abort comes long before every page is fetched (pages fetched
    // together commit together, so a fast local API could be all staged by the fifth event).
    const options = env.options({ format: 'ndjson', runId, pageSize: PAGE_SIZE, maxRate: 20 });
    const key = `customers/ingest_date=${INGEST_DATE}/customers_${runId}.ndjson`;

    // 1. The "crash": aborted once 5 pages are staged.
    const controller = new AbortController();
    const stagedFirst: number[] = [];
    const first = await runIngestion(
      options,
      env.context({
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type !== 'page.staged') return;
          stagedFirst.push(event.page);
          if (stagedFirst.length === 5) controller.abort(new Error('simulated crash'));
        },
      }),
    );
    expect(first.status).toBe('cancelled');
    expect(first.error).toMatch(/cancelled \(simulated crash\).*checkpoint is kept/);
    // A page whose transaction was already committing when the abort came is kept too: the
    // report counts what staging holds, which is at least what the events announced.
    const committedFirst = first.pages.staged;
    expect(committedFirst).toBeGreaterThanOrEqual(stagedFirst.length);
    expect(stagedFirst.length).toBeGreaterThanOrEqual(5);
    expect(committedFirst).toBeLessThan(PAGES);
    expect(existsSync(join(env.dataDir, 'staging', 'customers', `${runId}.duckdb`))).toBe(true);
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([]);
    const requestsAfterFirst = customerRequests(env.sim);

    // 2. The rerun with the same run id: committed pages are not fetched again.
    const secondPages: number[] = [];
    const second = await runIngestion(options, env.context({ runtime: { logger: silentLogger, fetch: pageLogging(secondPages) } }));
    expect(second.error).toBeUndefined();
    expect(second.status).toBe('succeeded');
    expect(second.resumed).toBe(true);
    expect(second.pages).toMatchObject({ skippedOnResume: committedFirst, staged: PAGES - committedFirst });
    expect(secondPages.filter((p) => stagedFirst.includes(p))).toEqual([]);
    expect(new Set(secondPages).size).toBe(PAGES - committedFirst);
    expect(customerRequests(env.sim) - requestsAfterFirst).toBe(PAGES - committedFirst);
    expect(duplicates).toBeGreaterThan(0);
    expect(second.records).toEqual({
      received: SIM.records + duplicates,
      unique: SIM.records,
      duplicates,
      withoutKey: 0,
      refused: 0,
      rejected: 0,
    });
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    const object = await readDelivered(env.client, 'lake', key, 'ndjson');
    expect(eltDifferences(object.rows, 'ndjson', oracle, runId)).toEqual([]);
    const etag = (await env.client.send(new HeadObjectCommand({ Bucket: 'lake', Key: key }))).ETag;

    // 3. The finished run, run again: nothing fetched, nothing uploaded, the same object.
    const requestsAfterSecond = customerRequests(env.sim);
    const third = await runIngestion(options, env.context());
    expect(third.error).toBeUndefined();
    expect(third.status).toBe('succeeded');
    expect(third.delivery?.status).toBe('alreadyDelivered');
    expect(third.records.unique).toBe(SIM.records);
    expect(customerRequests(env.sim)).toBe(requestsAfterSecond);
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    expect((await env.client.send(new HeadObjectCommand({ Bucket: 'lake', Key: key }))).ETag).toBe(etag);

    // 4. Row 18: even with the local file gone, a delivered run is not rewritten (new bytes) nor re-fetched.
    await rm(second.output!.path);
    const fourth = await runIngestion(options, env.context());
    expect(fourth.error).toBeUndefined();
    expect(fourth.delivery).toMatchObject({ status: 'alreadyDelivered', uri: `s3://lake/${key}` });
    expect(customerRequests(env.sim)).toBe(requestsAfterSecond);
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    expect((await env.client.send(new HeadObjectCommand({ Bucket: 'lake', Key: key }))).ETag).toBe(etag);
  });
});
