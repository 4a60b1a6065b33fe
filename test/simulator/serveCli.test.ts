import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./fixtures/serveMain.ts', import.meta.url));

const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  // A failed assertion must not leave a server running.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function serve(args: string[]): ReturnType<typeof spawn> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

describe('ingest serve', () => {
  it('prints "listening on URL" first, serves, and exits 0 on SIGTERM', async () => {
    const child = serve(['--port', '0', '--profile', 'hostile', '--records', '10', '--outage', 'none', '--rate-limit', '0']);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = await lines.next();
    expect(first.value).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = String(first.value).slice('listening on '.length);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const stats = (await (await fetch(`${url}/__stats`)).json()) as { byEndpoint: { health: Record<string, number> } };
    expect(stats.byEndpoint.health).toEqual({ '200': 1 });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });

  it('fails on an invalid knob, naming its flag', async () => {
    const child = serve(['--port', '0', '--dirty-rate', '2']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(stderr).toContain('--dirty-rate');
  });
});
