import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** tsx's ESM loader by absolute path, so the child resolves it whatever its working directory. */
const tsxLoader = require.resolve('tsx');
const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface IngestExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface IngestProcess {
  readonly pid: number;
  readonly exit: Promise<IngestExit>;
  /** Sends `signal` unless the process is gone already. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * A real `ingest run` process (`node --import tsx src/cli/main.ts run ...`). Its environment is
 * built from scratch (PATH and HOME only, plus `env`), so nothing of the test's own INGEST_* or
 * AWS_* variables leaks in.
 */
export function spawnIngest(
  args: readonly string[],
  options: Readonly<{ cwd: string; env?: Readonly<Record<string, string>> }>,
): IngestProcess {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? options.cwd,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', tsxLoader, cliMain, 'run', '--no-progress', ...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<IngestExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid ?? -1,
    exit,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** The flags of one run against a simulator and an S3-compatible endpoint. */
export interface RunFlags {
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly runId: string;
  readonly ingestDate?: string;
  readonly format?: 'parquet' | 'ndjson' | 'csv' | 'json';
  readonly checksum?: 'CRC32C' | 'SHA256';
  readonly pageSize?: number;
  readonly prefix?: string;
  readonly dataDir?: string;
  readonly logDir?: string;
  /** Per-attempt timeout; generous by default, so a loaded CI machine does not turn slowness into retries. */
  readonly timeoutSeconds?: number;
  readonly extra?: readonly string[];
}

export const INGEST_DATE = '2026-01-15';

export function runArgs(flags: RunFlags): string[] {
  return [
    ...['--api-url', flags.apiUrl, '--username', 'demo'],
    ...['--bucket', flags.bucket, '--s3-endpoint', flags.s3Endpoint, '--s3-force-path-style'],
    ...['--run-id', flags.runId, '--ingest-date', flags.ingestDate ?? INGEST_DATE],
    ...['--format', flags.format ?? 'parquet'],
    // Unless a test names one, the run's default checksum (CRC32C), as users run it.
    ...(flags.checksum ? ['--checksum', flags.checksum] : []),
    ...['--page-size', String(flags.pageSize ?? 250), '--data-dir', flags.dataDir ?? 'data', '--log-dir', flags.logDir ?? 'logs'],
    ...['--timeout-seconds', String(flags.timeoutSeconds ?? 30)],
    ...(flags.prefix ? ['--prefix', flags.prefix] : []),
    ...(flags.extra ?? []),
  ];
}

/** Polls `done` every `everyMs` until it holds or `timeoutMs` passes (for real child processes only). */
export async function waitFor(what: string, done: () => boolean, timeoutMs = 30_000, everyMs = 10): Promise<void> {
  for (let waited = 0; !done(); waited += everyMs) {
    if (waited >= timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
