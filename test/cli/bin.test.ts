import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import type threadpoolModule from '../../src/cli/threadpool.cjs';

const dir = mkdtempSync(join(tmpdir(), 'ingest-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * bin.cts, threadpool.cts and heap.cts compiled as the build compiles them, beside a main.js that
 * reports the thread pool it got and how large V8's young generation grew under a churn of
 * objects that outlive a collection or two (as a page's records do).
 */
function buildBin(): string {
  for (const name of ['bin', 'threadpool', 'heap']) {
    const source = readFileSync(new URL(`../../src/cli/${name}.cts`, import.meta.url), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: `${name}.cts`,
      compilerOptions: {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2023,
      },
    });
    writeFileSync(join(dir, `${name}.cjs`), outputText);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  // Uses the pool (so that it has started), then counts the process's threads.
  writeFileSync(
    join(dir, 'main.js'),
    `import { readFile } from 'node:fs/promises'; import { readdirSync } from 'node:fs'; import { getHeapSpaceStatistics } from 'node:v8';
     await readFile(new URL(import.meta.url));
     const threads = readdirSync('/proc/self/task').length;
     const held = new Array(50000); let young = 0;
     for (let i = 0; i < 300000; i++) {
       held[i % held.length] = { i, text: 'record ' + i };
       if (i % 1000 === 0) young = Math.max(young, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
     }
     console.log(JSON.stringify({ size: process.env.UV_THREADPOOL_SIZE ?? null, threads, youngMiB: young / 2 ** 20 }));`,
  );
  return join(dir, 'bin.cjs');
}

// Compiled here too: vitest does not strip the types of a .cts file it is asked to import.
const bin = buildBin();
const threadpool = createRequire(join(dir, 'bin.cjs'))('./threadpool.cjs') as typeof threadpoolModule;

const run = (bin: string, env: NodeJS.ProcessEnv): { size: string | null; threads: number; youngMiB: number } => {
  const { UV_THREADPOOL_SIZE: _, ...rest } = process.env;
  return JSON.parse(execFileSync(process.execPath, [bin], { env: { ...rest, ...env }, encoding: 'utf8' }).trim()) as never;
};

describe('the ingest command entry', () => {
  it('is bin.cjs, the CommonJS entry that sizes the thread pool', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['ingest']).toBe('dist/src/cli/bin.cjs');
  });

  it.runIf(process.platform === 'linux')(
    'reliability row 28: starts libuv with one pool thread, before main.js loads, unless the user chose a size',
    () => {
      const chosen = run(bin, {});
      const fourThreads = run(bin, { UV_THREADPOOL_SIZE: '4' });
      expect(chosen.size).toBe(String(threadpool.size));
      expect(fourThreads.size).toBe('4');
      // Same process otherwise: the difference is the pool's threads.
      expect(fourThreads.threads - chosen.threads).toBe(4 - threadpool.size);
    },
  );

  it("reliability row 28: keeps V8's young generation at its first size, set before main.js loads", () => {
    const { youngMiB } = run(bin, {});
    // The same main.js without the bin: V8 grows the young generation to its 32 MiB.
    const { youngMiB: unset } = run(join(dir, 'main.js'), {});
    expect(youngMiB).toBeLessThanOrEqual(4);
    expect(unset).toBeGreaterThanOrEqual(16);
  });

  it('leaves a size the user set alone', () => {
    const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '8' };
    threadpool.favourOneThread(env);
    expect(env['UV_THREADPOOL_SIZE']).toBe('8');
    const unset: NodeJS.ProcessEnv = {};
    threadpool.favourOneThread(unset);
    expect(unset['UV_THREADPOOL_SIZE']).toBe('1');
  });
});
