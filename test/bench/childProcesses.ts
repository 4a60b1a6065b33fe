import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import threadpool from '../../src/cli/threadpool.cjs';
import type { SimulatorStats } from '../../src/simulator/index.js';

/** The repository root: children run from here so that the bench build resolves. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The line a measured child prints its result on (everything else on stdout is ignored). */
export const resultMarker = 'BENCH_RESULT ';

let benchBuild: Promise<void> | undefined;

/**
 * The children run compiled, as `ingest` runs from its build, not under tsx: tsx's loader and
 * its transforms weigh 35-55 MB of the process (node alone 39 MB; importing runIngestion from the
 * build 98 MB, from sources under tsx 154 MB), which a measured peak would count as the run's.
 * Compiled once per bench (tsconfig.bench.json, into dist-bench/) from the sources as they are.
 */
function built(): Promise<void> {
  benchBuild ??= runCommand('npx', ['tsc', '-p', 'tsconfig.bench.json']).then(({ code, stderr }) => {
    if (code !== 0) throw new Error(`tsc -p tsconfig.bench.json exited with ${code}: ${stderr}`);
  });
  return benchBuild;
}

/** `node <the compiled script>`: one process, so its own resource usage is the measured one. */
async function compiledNode(source: string, args: readonly string[]): Promise<[string, string[]]> {
  await built();
  return [process.execPath, [`dist-bench/${source.replace(/\.ts$/, '.js')}`, ...args]];
}

/** Keeps the last `limit` characters a child wrote, for error messages. */
function tail(child: ChildProcess, limit = 4000): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  });
  return () => text.trim();
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** The simulator as its own process (`ingest serve`), so that serving pages costs the measured run nothing. */
export interface ServeProcess {
  readonly url: string;
  /** The simulator's own counters (`GET /__stats`). */
  stats(): Promise<SimulatorStats>;
  /** CPU seconds the simulator's process has used so far (user and system, all threads); NaN where unknown. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

/** Starts `ingest serve --port 0 <flags>` and waits for its `listening on URL` line (at most `timeoutMs`). */
export async function startServeProcess(flags: readonly string[], timeoutMs = 60_000): Promise<ServeProcess> {
  const [command, args] = await compiledNode('src/cli/main.ts', ['serve', '--port', '0', ...flags]);
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tail(child);
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`ingest serve printed no "listening on" line within ${timeoutMs} ms`)), timeoutMs);
      lines.on('line', (line) => {
        const match = /^listening on (\S+)/.exec(line);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`ingest serve ${flags.join(' ')} exited with ${code}: ${stderr()}`)));
    });
    return {
      url,
      async stats() {
        const res = await fetch(`${url}/__stats`);
        return (await res.json()) as SimulatorStats;
      },
      cpuSeconds: () => cpuSecondsOf(child.pid),
      close: () => stop(child),
    };
  } catch (error: unknown) {
    await stop(child);
    throw error;
  } finally {
    clearTimeout(timer);
    lines.removeAllListeners('line');
  }
}

/** What a measured child printed on its result line, and how long the process lived. */
export interface ChildResult<T> {
  readonly result: T;
  /** From spawn to exit, node start-up and module loading included. */
  readonly processWallMs: number;
}

/**
 * Runs `script` (under test/bench, compiled) as its own node process with `input` as JSON in the
 * BENCH_INPUT variable (kept out of argv and so out of `ps`) and the thread pool of `ingest`, and parses its result line.
 */
export async function runChildScript<T>(script: string, input: unknown): Promise<ChildResult<T>> {
  const [command, args] = await compiledNode(`test/bench/${basename(script)}`, []);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BENCH_INPUT: JSON.stringify(input),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The thread pool `ingest` starts with (src/cli/bin.cts): an ES module's imports start the pool before it could choose it.
  threadpool.favourOneThread(env);
  let result: T | undefined;
  const { code, wallMs, stderr } = await spawnTimed(command, args, env, (line) => {
    if (line.startsWith(resultMarker)) result = JSON.parse(line.slice(resultMarker.length)) as T;
  });
  if (result === undefined) throw new Error(`${script} exited with ${code} and printed no result: ${stderr}`);
  return { result, processWallMs: wallMs };
}

/** How a child process ended: its exit code, its life from spawn to exit, the end of its stderr. */
interface TimedExit {
  readonly code: number | null;
  readonly wallMs: number;
  readonly stderr: string;
}

/** Spawns `command args` from the repository root, passing each stdout line to `onLine` (else ignoring stdout), and waits for it. */
async function spawnTimed(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<TimedExit> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'pipe'], env });
  const stderr = tail(child);
  if (onLine) createInterface({ input: child.stdout! }).on('line', onLine);
  // 'close', not 'exit': a last line may still be in the pipe when the process exits.
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, wallMs: performance.now() - started, stderr: stderr() };
}

/** The input a child script was started with. */
export function childInput<T>(): T {
  const raw = process.env['BENCH_INPUT'];
  if (raw === undefined) throw new Error('BENCH_INPUT is not set: this script is started by test/bench/main.ts');
  return JSON.parse(raw) as T;
}

/**
 * CPU seconds process `pid` has used (user and system, all its threads), from /proc, which
 * counts them in clock ticks of 1/100 s (USER_HZ) on every Linux architecture. NaN elsewhere.
 */
function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name, which may hold spaces, in parentheses: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds this process has used (user and system, all its threads). */
export const ownCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Prints the result line a parent reads. */
export function printResult(result: unknown): void {
  process.stdout.write(`${resultMarker}${JSON.stringify(result)}\n`);
}

/** Runs `command args` from the repository root as a user would, and times it from spawn to exit. */
export function runCommand(command: string, args: readonly string[]): Promise<TimedExit> {
  return spawnTimed(command, args, { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
}
