import nodeFetch from 'node-fetch';
import { afterEach, describe, expect, it } from 'vitest';
import { runSource, type Fetch } from '../../src/index.js';
import { lakeRunOptions, silentLogger, startLake, type Lake } from '../e2e/support/e2eEnv.js';
import { oneTo } from '../e2e/support/deliveredObject.js';
import { deliveredResource } from './support/deliveredResource.js';
import { startJsonServer, type RunningJsonServer } from './support/startJsonServer.js';

let lake: Lake | undefined;
let api: RunningJsonServer | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

// node-fetch types its Request and Response as classes of its own; the run calls fetch with a URL
// string and { method, headers, body, signal }, and reads status, headers.get() and text().
const fetch = nodeFetch as unknown as Fetch;

describe('conformance: the library with another HTTP client injected as the runtime fetch', () => {
  it('runSource with node-fetch delivers every record of a json-server resource once', async () => {
    const TODOS = 41;
    [lake, api] = await Promise.all([
      startLake(),
      startJsonServer({ todos: oneTo(TODOS).map((id) => ({ id, title: `todo ${id}`, done: id % 4 === 0 })) }),
    ]);
    const report = await runSource(
      {
        source: {
          name: 'typicode',
          api: { baseUrl: api.url },
          resources: [
            {
              name: 'todos',
              path: '/todos',
              records: '$',
              paginator: { type: 'page', pageParam: '_page', sizeParam: '_limit', pageSize: 10 },
            },
          ],
        },
        ...lakeRunOptions(lake),
        runId: 'node-fetch-1',
      },
      { s3Credentials: lake.s3.credentials, runtime: { fetch, logger: silentLogger } },
    );
    expect(report.status, report.resources[0]?.error).toBe('succeeded');
    // Every request came from node-fetch, none from Node's own fetch.
    expect(api.userAgents.length).toBe(Math.ceil(TODOS / 10) + 1);
    expect(new Set(api.userAgents)).toEqual(new Set(['node-fetch']));

    const todos = await deliveredResource(lake, 'todos');
    expect(todos.ids).toEqual(oneTo(TODOS));
    expect(todos.rows[3]).toMatchObject({ title: 'todo 4', done: true });
    expect(todos.report.records).toMatchObject({ received: TODOS, unique: TODOS, duplicates: 0 });
    expect(report.resources[0]?.output?.rows).toBe(TODOS);
  });
});
