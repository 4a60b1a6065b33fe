import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnCli } from './support/cliProcess.js';

describe('ingest first-page: the original brief, log in and print page 1', () => {
  it('against a simulator it starts: exit 0, the page as JSON on stdout', async () => {
    const cli = spawnCli(['first-page', '--limit', '3'], { INGEST_LOG_LEVEL: 'silent' });
    expect(await cli.exited, cli.stderr()).toBe(0);
    const page = JSON.parse(cli.stdout()) as { data: { id: number }[] };
    expect(page.data.map((record) => record.id)).toEqual([1, 2, 3]);
  });

  it('an API that logs in but refuses the page: exit 1, naming the answer', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/login')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"t-123","expires_in":3600}');
      else res.writeHead(503, { 'content-type': 'text/html' }).end('<html>busy</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const cli = spawnCli(['first-page', '--api-url', url], { INGEST_PASSWORD: 'pw-first-page' });
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain('GET /customers answered 503');
      expect(cli.stdout()).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
