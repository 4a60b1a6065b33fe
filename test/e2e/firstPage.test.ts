import { describe, expect, it } from 'vitest';
import { startHttpApi } from '../support/startHttpApi.js';
import { spawnCli } from './support/cliProcess.js';

describe('ingest first-page: the original brief, log in and print page 1', () => {
  it('against a simulator it starts: exit 0, the page as JSON on stdout', async () => {
    const cli = spawnCli(['first-page', '--limit', '3'], { INGEST_LOG_LEVEL: 'silent' });
    expect(await cli.exited, cli.stderr()).toBe(0);
    const page = JSON.parse(cli.stdout()) as { data: { id: number }[] };
    expect(page.data.map((record) => record.id)).toEqual([1, 2, 3]);
  });

  it('an API that logs in but refuses the page: exit 1, naming the answer', async () => {
    const api = await startHttpApi(({ url }) =>
      url.pathname === '/login'
        ? { body: { access_token: 't-123', expires_in: 3600 } }
        : { status: 503, rawBody: '<html>busy</html>', headers: { 'content-type': 'text/html' } },
    );
    try {
      const cli = spawnCli(['first-page', '--api-url', api.url], { INGEST_PASSWORD: 'pw-first-page' });
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain('GET /customers answered 503');
      expect(cli.stdout()).toBe('');
      expect(api.requests.map(({ method, url }) => `${method} ${url.pathname}`)).toEqual(['POST /login', 'GET /customers']);
    } finally {
      await api.close();
    }
  });
});
