import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi, type ApiAnswer, type ApiRequest, type RunningHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';
import { idOf, listKeys, readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startLake, type Lake } from './support/e2eEnv.js';
import { s3Env, sourceRunArgs } from './support/sourceCli.js';

let api: RunningHttpApi | undefined;
let lake: Lake | undefined;
afterEach(async () => {
  await api?.close();
  await lake?.close();
  api = lake = undefined;
});

const TOKEN = 'ghp_exampleTokenValue123';
const ISSUES = 250;
const RELEASES = 7;

/** GitHub's shape: bare arrays, `per_page`/`page`, `Link` with next and last, rate-limit headers. */
function github({ url, headers }: ApiRequest, origin: string): ApiAnswer {
  if (headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { message: 'Bad credentials' } };
  if (headers.accept !== 'application/vnd.github+json' || headers['x-github-api-version'] !== '2022-11-28') {
    return { status: 415, body: { message: 'Unsupported media type' } };
  }
  const limits = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4990', 'x-ratelimit-resource': 'core' };
  if (url.pathname === '/repos/octo-org/octo-repo/releases') {
    const releases = Array.from({ length: RELEASES }, (_, i) => ({
      id: 9000 + i,
      tag_name: `v1.${i}.0`,
      published_at: `2026-0${1 + (i % 9)}-15T10:00:00Z`,
      draft: false,
    }));
    return { body: releases, headers: limits };
  }
  // GitHub's next links name the repository by id: another path, the same origin.
  if (url.pathname === '/repos/octo-org/octo-repo/issues' || url.pathname === '/repositories/42/issues') {
    if (url.searchParams.get('state') !== 'all') return { status: 422, body: { message: 'state=all expected' } };
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    const last = Math.ceil(ISSUES / perPage);
    const issues = Array.from({ length: Math.max(0, Math.min(perPage, ISSUES - (page - 1) * perPage)) }, (_, i) => {
      const number = (page - 1) * perPage + i + 1;
      return {
        id: 1_000_000 + number,
        number,
        title: `Issue ${number}`,
        state: number % 3 ? 'open' : 'closed',
        created_at: '2026-01-01T00:00:00Z',
        user: { login: `dev${number % 5}`, id: number % 5 },
        labels: number % 4 ? [] : [{ name: 'bug' }],
        ...(number % 10 === 0 ? { pull_request: { url: `${origin}/pulls/${number}` } } : {}),
      };
    });
    const at = (p: number) => `${origin}/repositories/42/issues?state=all&per_page=${perPage}&page=${p}`;
    const link = page < last ? { link: `<${at(page + 1)}>; rel="next", <${at(last)}>; rel="last"` } : {};
    return { body: issues, headers: { ...limits, ...link } };
  }
  return { status: 404, body: { message: 'Not Found' } };
}

describe('examples/github-style.source.yaml', () => {
  it('runs as written (its base URL pointed at a GitHub-shaped server): both resources, every id once', async () => {
    api = await startHttpApi(github);
    lake = await startLake();
    const example = await readFile(new URL('../../examples/github-style.source.yaml', import.meta.url), 'utf8');
    const file = join(lake.dataDir, 'github-style.source.yaml');
    await writeFile(file, example.replace('https://api.github.com', api.url));
    // No --run-id: the source's name and the date name the run.
    const cli = spawnCli(sourceRunArgs(lake, file, undefined), { GITHUB_TOKEN: TOKEN, ...s3Env(lake) });
    expect(await cli.exited, cli.stderr()).toBe(0);
    const { client } = lake;
    // The source's name gives the run id: github-<date>.
    expect(await listKeys(client, 'lake', 'issues/')).toEqual([`issues/ingest_date=${INGEST_DATE}/issues_github-${INGEST_DATE}.parquet`]);
    const issues = await readDelivered(client, 'lake', `issues/ingest_date=${INGEST_DATE}/issues_github-${INGEST_DATE}.parquet`, 'parquet');
    expect(issues.rows.map(idOf).sort((a, b) => a - b)).toEqual(Array.from({ length: ISSUES }, (_, i) => 1_000_001 + i));
    // Declared fields, and the one the records carry beyond them (pull_request), each a column.
    expect(issues.columns).toEqual(
      expect.arrayContaining(['id', 'number', 'title', 'state', 'created_at', 'user', 'labels', 'pull_request']),
    );
    const releases = await readDelivered(
      client,
      'lake',
      `releases/ingest_date=${INGEST_DATE}/releases_github-${INGEST_DATE}.parquet`,
      'parquet',
    );
    expect(releases.rows.map(idOf).sort((a, b) => a - b)).toEqual(Array.from({ length: RELEASES }, (_, i) => 9000 + i));
    // Three pages of issues (per_page=100), one of releases; nothing refused.
    expect(api.requests.filter((r) => r.url.pathname.endsWith('/issues')).map((r) => r.url.searchParams.get('page'))).toEqual([
      null,
      '2',
      '3',
    ]);
    expect(api.requests).toHaveLength(4);
    expect(cli.stdout() + cli.stderr()).not.toContain(TOKEN);
  });
});
