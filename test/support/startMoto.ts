import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { freePort } from './freePort.js';

export interface RunningMoto {
  readonly endpoint: string;
  /** Whether moto computes CRC-32C correctly: without the Python `crc32c` package it silently
   * stores CRC-32 under the CRC32C name. */
  readonly crc32cCorrect: boolean;
  /** Drops every bucket and object (cheaper than a new server per test). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `moto_server` on a free loopback port. Ready when it logs that it is running and answers
 * over HTTP; no polling sleeps. Throws (with its output) if it does not start within `timeoutMs`.
 */
export async function startMoto(options: Readonly<{ timeoutMs?: number }> = {}): Promise<RunningMoto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`moto_server did not start within ${options.timeoutMs ?? 20_000} ms:\n${output}`)),
      options.timeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Running on')) done();
    };
    const done = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      resolve();
    };
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => fail(new Error(`moto_server could not be spawned: ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`moto_server exited with ${String(code)} before it was ready:\n${output}`)));
  });
  // Keep draining its log so a full pipe never blocks it.
  child.stdout.resume();
  child.stderr.resume();
  await call(endpoint, 'GET', '/moto-api/');
  const crc32cCorrect = spawnSync('python3', ['-c', 'import crc32c']).status === 0;
  return {
    endpoint,
    crc32cCorrect,
    reset: () => call(endpoint, 'POST', '/moto-api/reset'),
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function call(endpoint: string, method: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, endpoint), { method }, (res) => {
      res.resume();
      res.on('end', () =>
        (res.statusCode ?? 500) < 400 ? resolve() : reject(new Error(`moto ${method} ${path}: HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
