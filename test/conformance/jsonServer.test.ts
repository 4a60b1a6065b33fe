import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceSpecInput } from '../../src/index.js';
import { spawnCli } from '../e2e/support/cliProcess.js';
import { startLake, type Lake } from '../e2e/support/e2eEnv.js';
import { s3Env, sourceRunArgs } from '../e2e/support/sourceCli.js';
import { oneTo } from '../e2e/support/deliveredObject.js';
import { deliveredResource } from './support/deliveredResource.js';
import { startJsonServer, type RunningJsonServer } from './support/startJsonServer.js';

// json-server (typicode) serves each array of its database as a REST resource: a bare JSON array,
// `_page`/`_limit` pages, a Link header (first/prev/next/last) and X-Total-Count. Nothing here
// was written for this project, so its answers are what any such API would send.

let lake: Lake | undefined;
let api: RunningJsonServer | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const POSTS = 53;
const USERS = 12;
const COMMENTS = 9;
const db = (): Record<string, unknown> => ({
  posts: oneTo(POSTS).map((id) => ({ id, title: `post ${id}`, userId: (id % USERS) + 1, tags: ['a', `t${id % 3}`] })),
  users: oneTo(USERS).map((id) => ({ id, name: `user ${id}`, email: `user${id}@example.com`, active: id % 2 === 0 })),
  comments: oneTo(COMMENTS).map((id) => ({ id, postId: id, body: `comment ${id}` })),
});

async function runSourceFile(l: Lake, source: SourceSpecInput, runId: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(l.dataDir, 'conformance.source.yaml');
  await writeFile(file, JSON.stringify(source, null, 2));
  const cli = spawnCli(sourceRunArgs(l, file, runId), s3Env(l));
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe('conformance: json-server (bare arrays, _page/_limit, Link headers)', () => {
  it('page numbers in _page/_limit end on the empty page; other resources run beside it, one of them unpaged', async () => {
    [lake, api] = await Promise.all([startLake(), startJsonServer(db())]);
    const run = await runSourceFile(
      lake,
      {
        name: 'typicode',
        api: { baseUrl: api.url },
        defaults: { records: '$', paginator: { type: 'page', pageParam: '_page', sizeParam: '_limit', pageSize: 7 } },
        resources: [
          { name: 'posts', path: '/posts' },
          { name: 'users', path: '/users', paginator: { type: 'page', pageParam: '_page', sizeParam: '_limit', pageSize: 5 } },
          // Unpaged, json-server answers the whole array: one request.
          { name: 'comments', path: '/comments', paginator: { type: 'single' } },
        ],
      },
      'pages-1',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.match(/SUCCEEDED/g)?.length).toBe(3);

    const posts = await deliveredResource(lake, 'posts');
    expect(posts.ids).toEqual(oneTo(POSTS));
    expect(posts.report.records).toMatchObject({ received: POSTS, unique: POSTS, duplicates: 0, withoutKey: 0, rejected: 0 });
    expect(posts.report.output?.rows).toBe(POSTS);
    // 8 pages of 7 hold the 53 posts; the 9th, empty, ends the resource (and is staged, empty).
    const pages = Math.ceil(POSTS / 7) + 1;
    expect(posts.report.pages.staged).toBe(pages);
    expect(api.requests.filter((r) => r.startsWith('/posts'))).toEqual(oneTo(pages).map((n) => `/posts?_page=${n}&_limit=7`));

    const users = await deliveredResource(lake, 'users');
    expect(users.ids).toEqual(oneTo(USERS));
    expect(users.report.records).toMatchObject({ received: USERS, unique: USERS, duplicates: 0 });
    expect(users.report.output?.rows).toBe(USERS);
    // Fields as served, not only the ids.
    expect(users.rows[2]).toMatchObject({ name: 'user 3', email: 'user3@example.com', active: false });

    const comments = await deliveredResource(lake, 'comments');
    expect(comments.ids).toEqual(oneTo(COMMENTS));
    expect(comments.report.records).toMatchObject({ received: COMMENTS, unique: COMMENTS, duplicates: 0 });
    expect(api.requests.filter((r) => r.startsWith('/comments'))).toEqual(['/comments']);
  });

  it('the Link paginator follows rel=next to the last page, and no request past it', async () => {
    [lake, api] = await Promise.all([startLake(), startJsonServer(db())]);
    const run = await runSourceFile(
      lake,
      {
        name: 'typicode',
        api: { baseUrl: api.url },
        // json-server sends Link only on a `_page` request: the first page is asked for by number.
        resources: [
          {
            name: 'posts',
            path: '/posts',
            params: { _page: 1 },
            records: '$',
            paginator: { type: 'link', sizeParam: '_limit', pageSize: 10 },
          },
        ],
      },
      'links-1',
    );
    expect(run.code, run.stderr).toBe(0);
    const posts = await deliveredResource(lake, 'posts');
    expect(posts.ids).toEqual(oneTo(POSTS));
    expect(posts.report.records).toMatchObject({ received: POSTS, unique: POSTS, duplicates: 0 });
    expect(posts.report.output?.rows).toBe(POSTS);
    expect(posts.report.pages.staged).toBe(Math.ceil(POSTS / 10));
    // Page 1, then json-server's own next links; the last page has none, so nothing is asked past it.
    expect(api.requests.filter((r) => r.startsWith('/posts'))).toEqual(
      oneTo(Math.ceil(POSTS / 10)).map((n) => `/posts?_page=${n}&_limit=10`),
    );
  });
});
