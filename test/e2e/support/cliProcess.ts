import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or 128 + signal number when killed by a signal). */
  readonly exited: Promise<number>;
}

const signalNumbers: Readonly<Record<string, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Only the given environment on top of PATH/HOME: no INGEST_* or AWS_* leaks in from the developer's shell. */
const childEnv = (env: Readonly<Record<string, string>>): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'] ?? '',
  HOME: process.env['HOME'] ?? '',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  ...env,
});

function tracked(child: ChildProcess): CliProcess {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signalNumbers[signal ?? ''] ?? 0)));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * `ingest <args>` as a real process (`node --import tsx src/cli/main.ts`); with `peakRssFile`, the
 * process writes its peak resident set (bytes) there as it exits.
 */
export function spawnCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  { peakRssFile }: Readonly<{ peakRssFile?: string }> = {},
): CliProcess {
  const measure = peakRssFile === undefined ? [] : ['--import', './test/support/peakRssOnExit.ts'];
  const child = spawn(process.execPath, ['--import', 'tsx', ...measure, 'src/cli/main.ts', ...args], {
    cwd: root,
    env: childEnv(peakRssFile === undefined ? env : { ...env, PEAK_RSS_FILE: peakRssFile }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return tracked(child);
}

/**
 * A command line as printed for a user (`ingest query 'a b.csv' "DESCRIBE data"`), run verbatim by
 * a POSIX shell in which `ingest` is this checkout's CLI: its quoting is tested, not just its words.
 */
export function spawnShellCommand(command: string, env: Readonly<Record<string, string>> = {}): CliProcess {
  const ingest = `ingest() { "${process.execPath}" --import tsx src/cli/main.ts "$@"; }`;
  const child = spawn('/bin/sh', ['-c', `${ingest}\n${command}`], { cwd: root, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  return tracked(child);
}

/**
 * Waits for `condition`, checking every 50 ms, at most `timeoutMs` (a real child process
 * cannot be driven by a simulated clock). Throws with `what` when it never holds.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
