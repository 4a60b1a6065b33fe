import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { startStatelyInspector } from '../../src/devtools/statelyInspector.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The bridge starts listening asynchronously: retry a refused connection a few turns. */
async function getPage(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('startStatelyInspector', () => {
  it('serves the local bridge page, accepts inspection events, and stops cleanly', async () => {
    const port = await freePort();
    const inspector = await startStatelyInspector({ port, open: false });
    expect(inspector.url).toBe(`http://localhost:${port}`);
    const page = await getPage(`http://127.0.0.1:${port}/`);
    expect(page).toContain(`ws://localhost:${port}`);
    expect(page).toContain('https://stately.ai/inspect');

    const machine = createMachine({ initial: 'a', states: { a: { on: { go: 'b' } }, b: { type: 'final' } } });
    const actor = createActor(machine, { inspect: inspector.inspect }).start();
    actor.send({ type: 'go' });
    expect(actor.getSnapshot().status).toBe('done');

    await inspector.stop();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('takes a free port by default, and refuses a port in use with an error naming it (nothing left listening)', async () => {
    const inspector = await startStatelyInspector({ open: false });
    const port = Number(new URL(inspector.url).port);
    expect(port).toBeGreaterThan(0);
    expect(await getPage(`http://127.0.0.1:${port}/`)).toContain(`ws://localhost:${port}`);
    await expect(startStatelyInspector({ port, open: false })).rejects.toThrow(`port ${port} is in use`);
    await inspector.stop();
  });
});
