import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/index.js';

/** One S3-compatible endpoint as a child process sees it. */
export interface S3Target {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function s3ClientFor(target: S3Target): S3Client {
  // The test reads bytes and compares them itself: no SDK check against a store's (moto's wrong) CRC32C header.
  return new S3Client({
    endpoint: target.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: target.credentials,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function createBucket(target: S3Target, bucket: string): Promise<void> {
  const client = s3ClientFor(target);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

/** The environment of an `ingest run` child: the simulator's password and the store's keys. */
export function childEnv(target: S3Target, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    INGEST_PASSWORD: 'demo-password',
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    ...extra,
  };
}

/** A loopback proxy in front of the simulator that notes every page number asked for. */
async function pageRecorder(target: RunningSimulator): Promise<{ url: string; pages: number[]; close(): Promise<void> }> {
  const pages: number[] = [];
  const server = createServer((req, res) => {
    const page = new URL(req.url ?? '/', 'http://proxy').searchParams.get('page');
    if (page !== null) pages.push(Number(page));
    const forward = request({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => req.socket.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A calm simulator whose latency stretches a run of a few thousand records over a second or
 * two (time for a kill to land anywhere), and a scratch directory for the child's files.
 */
export async function crashWorld(name: string, sim: SimulatorOptions): Promise<CrashWorld> {
  const oracle: SimulatorOptions = { profile: 'calm', latency: { kind: 'fixed', ms: 40 }, ...sim };
  const dir = await mkdtemp(join(tmpdir(), `ingest-${name}-`));
  const simulator = await startSimulator(oracle);
  const recorder = await pageRecorder(simulator);
  return {
    sim: simulator,
    apiUrl: recorder.url,
    pagesRequested: recorder.pages,
    oracle,
    dir,
    async close() {
      await recorder.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CrashWorld {
  readonly sim: RunningSimulator;
  /** The simulator behind a page recorder: give this to the child. */
  readonly apiUrl: string;
  /** Every `page` asked for so far, retries included, in order. */
  readonly pagesRequested: number[];
  readonly oracle: SimulatorOptions;
  readonly dir: string;
  close(): Promise<void>;
}

/** The distinct data pages (1..`pages`) asked for since index `from` of the log. */
export function dataPagesSince(world: CrashWorld, from: number, pages: number): number[] {
  return [...new Set(world.pagesRequested.slice(from))].filter((page) => page >= 1 && page <= pages).sort((a, b) => a - b);
}

/** Pages 1..`pages` except `except`. */
export function pagesExcept(pages: number, except: readonly number[]): number[] {
  return Array.from({ length: pages }, (_, i) => i + 1).filter((page) => !except.includes(page));
}
