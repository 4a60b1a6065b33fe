import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { childEnv, crashWorld, dataPagesSince, pagesExcept, s3ClientFor, type S3Target } from './crashWorld.js';
import { runArgs, spawnIngest } from './ingestProcess.js';
import { deliveredOnce, deliveryFacts, keysInPartition, runLocations, stagingFacts, tempFilesBeside } from './runFacts.js';

const RECORDS = 5000;
const PAGE_SIZE = 250;
const PAGES = RECORDS / PAGE_SIZE;
const BUCKET = 'disk-full';
const DISK_BYTES = 8 * 1024 * 1024;

let s3rver: RunningS3rver;
let target: S3Target;
const mounts: string[] = [];

beforeAll(async () => {
  s3rver = await startS3rver({ bucket: BUCKET });
  target = { endpoint: s3rver.endpoint, credentials: s3rver.credentials };
});

afterAll(async () => {
  for (const dir of mounts) execFileSync('umount', ['-l', dir]);
  await s3rver?.close();
});

/** A real, small filesystem (tmpfs), or why there cannot be one here. */
function mountSmallDisk(dir: string): string | undefined {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error: unknown) {
    return `cannot mount a tmpfs (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  mounts.push(dir);
  return undefined;
}

function unmount(dir: string): void {
  const at = mounts.indexOf(dir);
  if (at < 0) return;
  mounts.splice(at, 1);
  execFileSync('umount', ['-l', dir]);
}

/** Fills the disk at `dir` until only `freeBytes` are left; returns the filler's path. */
function fillDisk(dir: string, freeBytes: number): string {
  const stats = statfsSync(dir);
  const filler = join(dir, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, Number(stats.bavail) * Number(stats.bsize) - freeBytes)));
  return filler;
}

describe.concurrent('reliability row 24: disk full while staging or writing', { timeout: 240_000 }, () => {
  it('while staging: a clear failure, the committed pages kept; once space is back the rerun fetches only the rest', async ({ skip }) => {
    const world = await crashWorld('disk-staging', { seed: 24, records: RECORDS });
    const disk = join(world.dir, 'disk');
    const cannot = mountSmallDisk(disk);
    if (cannot) {
      await world.close();
      skip(cannot);
    }
    const client = s3ClientFor(target);
    try {
      const runId = 'disk-staging';
      const prefix = 'disk/staging';
      const args = runArgs({
        apiUrl: world.apiUrl,
        s3Endpoint: target.endpoint,
        bucket: BUCKET,
        runId,
        prefix,
        pageSize: PAGE_SIZE,
        dataDir: 'disk/data',
      });
      const where = runLocations(join(world.dir, 'disk/data'), runId, 'parquet', prefix);
      // Room for a few pages of the staging database's log, not for twenty.
      const filler = fillDisk(disk, 700 * 1024);

      const full = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
      expect(full.code, full.stderr).toBe(1);
      expect(full.stderr).toMatch(
        /staging: cannot stage page \d+ .*No space left on device.*the checkpoint is kept: run again with the same run id to resume/,
      );
      const kept = await stagingFacts(where.staging);
      expect({ torn: kept.torn, orphans: kept.orphans }).toEqual({ torn: [], orphans: [] });
      expect(kept.committed.length).toBeGreaterThan(0);
      expect(kept.committed.length).toBeLessThan(PAGES);
      expect(existsSync(where.output)).toBe(false);
      expect(await keysInPartition(client, BUCKET, where.key)).toEqual([]);

      rmSync(filler);
      const asked = world.pagesRequested.length;
      const rerun = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(dataPagesSince(world, asked, PAGES)).toEqual(pagesExcept(PAGES, kept.committed));
      const facts = await deliveryFacts(client, {
        bucket: BUCKET,
        key: where.key,
        format: 'parquet',
        oracle: world.oracle,
        scratchDir: world.dir,
      });
      expect(facts).toEqual(deliveredOnce(where.key, RECORDS, 'unsupported'));
    } finally {
      client.destroy();
      unmount(disk);
      await world.close();
    }
  });

  it('while writing the final file: a clear failure, nothing at the final path, staging intact; the rerun writes and delivers', async ({
    skip,
  }) => {
    const world = await crashWorld('disk-writing', { seed: 25, records: RECORDS });
    const disk = join(world.dir, 'disk');
    const cannot = mountSmallDisk(disk);
    if (cannot) {
      await world.close();
      skip(cannot);
    }
    const client = s3ClientFor(target);
    try {
      const runId = 'disk-writing';
      const prefix = 'disk/writing';
      // NDJSON: a final file of about 2.4 MB, larger than the room left below.
      const args = runArgs({
        apiUrl: world.apiUrl,
        s3Endpoint: target.endpoint,
        bucket: BUCKET,
        runId,
        prefix,
        pageSize: PAGE_SIZE,
        dataDir: 'disk/data',
        format: 'ndjson',
      });
      const where = runLocations(join(world.dir, 'disk/data'), runId, 'ndjson', prefix);
      // Every page staged (the process dies after the last commit), then the disk fills up.
      const staged = await spawnIngest(args, { cwd: world.dir, env: childEnv(target, { INGEST_CRASH_AT: `staging.afterCommit:${PAGES}` }) })
        .exit;
      expect(staged.signal, staged.stderr).toBe('SIGKILL');
      expect((await stagingFacts(where.staging)).rows).toBe(RECORDS);
      const filler = fillDisk(disk, 1024 * 1024);

      const asked = world.pagesRequested.length;
      const full = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
      expect(full.code, full.stderr).toBe(1);
      expect(full.stderr).toMatch(
        /cannot write the final file .*No space left on device.*the checkpoint is kept: run again with the same run id to resume/,
      );
      expect(existsSync(where.output)).toBe(false);
      expect(tempFilesBeside(where.output)).toEqual([]);
      const kept = await stagingFacts(where.staging);
      expect({ torn: kept.torn, orphans: kept.orphans, rows: kept.rows }).toEqual({ torn: [], orphans: [], rows: RECORDS });
      expect(await keysInPartition(client, BUCKET, where.key)).toEqual([]);

      rmSync(filler);
      const rerun = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(dataPagesSince(world, asked, PAGES)).toEqual([]);
      const facts = await deliveryFacts(client, {
        bucket: BUCKET,
        key: where.key,
        format: 'ndjson',
        oracle: world.oracle,
        scratchDir: world.dir,
      });
      expect(facts).toEqual(deliveredOnce(where.key, RECORDS, 'unsupported'));
    } finally {
      client.destroy();
      unmount(disk);
      await world.close();
    }
  });
});
