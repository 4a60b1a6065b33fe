import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/runtime/random.js';
import { startS3rver, type RunningS3rver } from '../support/startS3rver.js';
import { childEnv, crashWorld, s3ClientFor, type S3Target } from './crashWorld.js';
import { runArgs, spawnIngest, waitFor } from './ingestProcess.js';
import { deliveredOnce, deliveryFacts, keysInPartition, runLocations, stagingFacts, tempFilesBeside } from './runFacts.js';

const SEEDS = 20;
/** Child processes at once: each is mostly waiting on simulated latency, but 2 cores are shared. */
const CONCURRENCY = 3;
const RECORDS = 2000;
const PAGE_SIZE = 200;
const BUCKET = 'kills';

let s3rver: RunningS3rver;
let target: S3Target;

beforeAll(async () => {
  s3rver = await startS3rver({ bucket: BUCKET });
  target = { endpoint: s3rver.endpoint, credentials: s3rver.credentials };
});

afterAll(async () => {
  await s3rver?.close();
});

/** How far a killed run had got, from what it left behind. */
type Phase = 'nothing staged' | 'staging' | 'staged, no file' | 'file written' | 'object stored' | 'finished before the kill';

interface SeedOutcome {
  readonly seed: number;
  readonly delayMs: number;
  readonly phase: Phase;
}

/**
 * One seed: a run against its own simulator, SIGKILL from the test a seeded delay after the
 * child logged in (so the kill lands in the run, not in module loading), then a rerun to success.
 * `spanMs` is how long a whole run takes after its login, measured once.
 */
async function killAndRerun(seed: number, spanMs: number): Promise<SeedOutcome> {
  const delayMs = Math.round(seededRandom(seed)() * spanMs);
  const world = await crashWorld(`kill-${seed}`, { seed, records: RECORDS });
  const runId = `kill-${seed}`;
  const prefix = `kills/seed-${seed}`;
  const args = runArgs({ apiUrl: world.apiUrl, s3Endpoint: target.endpoint, bucket: BUCKET, runId, prefix, pageSize: PAGE_SIZE });
  const where = runLocations(`${world.dir}/data`, runId, 'parquet', prefix);
  const client = s3ClientFor(target);
  try {
    const child = spawnIngest(args, { cwd: world.dir, env: childEnv(target) });
    let exited = false;
    void child.exit.then(() => (exited = true));
    await waitFor(`seed ${seed}: the child's login`, () => exited || world.sim.stats().logins.succeeded > 0, 60_000);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    child.kill('SIGKILL');
    const first = await child.exit;

    const staged = await stagingFacts(where.staging);
    expect({ seed, torn: staged.torn, orphans: staged.orphans }).toEqual({ seed, torn: [], orphans: [] });
    if (existsSync(where.output)) expect({ seed, intact: isWholeParquet(where.output) }).toEqual({ seed, intact: true });
    const phase: Phase =
      first.signal !== 'SIGKILL'
        ? 'finished before the kill'
        : (await keysInPartition(client, BUCKET, where.key)).length > 0
          ? 'object stored'
          : existsSync(where.output)
            ? 'file written'
            : staged.rows === RECORDS
              ? 'staged, no file'
              : staged.committed.length > 0
                ? 'staging'
                : 'nothing staged';
    if (phase === 'finished before the kill') expect({ seed, code: first.code }, first.stderr).toEqual({ seed, code: 0 });

    const rerun = await spawnIngest(args, { cwd: world.dir, env: childEnv(target) }).exit;
    expect({ seed, code: rerun.code }, rerun.stderr).toEqual({ seed, code: 0 });
    const after = await stagingFacts(where.staging);
    expect({ seed, torn: after.torn, orphans: after.orphans, rows: after.rows }).toEqual({ seed, torn: [], orphans: [], rows: RECORDS });
    expect({ seed, temps: tempFilesBeside(where.output), intact: isWholeParquet(where.output) }).toEqual({ seed, temps: [], intact: true });
    const facts = await deliveryFacts(client, {
      bucket: BUCKET,
      key: where.key,
      format: 'parquet',
      oracle: world.oracle,
      scratchDir: world.dir,
    });
    expect({ seed, ...facts }).toEqual({ seed, ...deliveredOnce(where.key, RECORDS, 'unsupported') });
    return { seed, delayMs, phase };
  } finally {
    client.destroy();
    await world.close();
  }
}

function isWholeParquet(path: string): boolean {
  const bytes = readFileSync(path);
  return bytes.length >= 8 && bytes.subarray(0, 4).toString() === 'PAR1' && bytes.subarray(-4).toString() === 'PAR1';
}

/** Time from the child's login to its exit in an undisturbed run. */
async function measureSpan(): Promise<number> {
  const world = await crashWorld('kill-span', { seed: 1000, records: RECORDS });
  try {
    const args = runArgs({
      apiUrl: world.apiUrl,
      s3Endpoint: target.endpoint,
      bucket: BUCKET,
      runId: 'span',
      prefix: 'kills/span',
      pageSize: PAGE_SIZE,
    });
    const child = spawnIngest(args, { cwd: world.dir, env: childEnv(target) });
    let exited = false;
    void child.exit.then(() => (exited = true));
    await waitFor('the baseline run to log in', () => exited || world.sim.stats().logins.succeeded > 0, 60_000);
    const loggedIn = performance.now();
    const result = await child.exit;
    expect(result.code, result.stderr).toBe(0);
    return performance.now() - loggedIn;
  } finally {
    await world.close();
  }
}

describe('reliability row 17: kill -9 at a random moment', () => {
  it(`${SEEDS} seeds: a SIGKILL at a seeded moment, then a rerun: exit 0, one object, every id once`, { timeout: 480_000 }, async () => {
    const spanMs = await measureSpan();
    const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);
    const outcomes: SeedOutcome[] = [];
    const errors: unknown[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let seed = seeds.shift(); seed !== undefined; seed = seeds.shift()) {
          await killAndRerun(seed, spanMs).then(
            (outcome) => outcomes.push(outcome),
            (error: unknown) => errors.push(error),
          );
        }
      }),
    );
    if (errors.length > 0) throw errors[0];
    const byPhase = new Map<Phase, number>();
    for (const { phase } of outcomes) byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
    console.info(`span ${Math.round(spanMs)} ms after login; kills by phase: ${[...byPhase].map(([p, n]) => `${p} ${n}`).join(', ')}`);
    expect(outcomes).toHaveLength(SEEDS);
    // Most kills must land in a run, or the test proves nothing.
    expect(outcomes.filter((o) => o.phase !== 'finished before the kill').length).toBeGreaterThanOrEqual(SEEDS * 0.75);
  });
});
