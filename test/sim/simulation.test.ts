import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSecretRegistry } from '../../src/logging/index.js';
import type { RunReport } from '../../src/report/runReport.js';
import { faultKinds, type FaultKind } from '../../src/simulator/index.js';
import { startLocalS3, type LocalS3 } from '../../src/storage/startLocalS3.js';
import { runCampaign } from './campaign.js';
import { runSeed, type SeedEnv } from './runSeed.js';
import { simProfiles } from './scenario.js';
import { failureLine } from './summary.js';

const SEEDS = 300;

describe('the deterministic simulation campaign', () => {
  it(`reliability rows 1-3, 5, 6, 9, 10, 12, 14, 16, 27: ${SEEDS} seeded fault schedules across calm, flaky and hostile keep every invariant`, async () => {
    const campaign = await runCampaign({ seeds: SEEDS, firstSeed: 1, workers: 2, concurrency: 2 });
    // Each failing seed names its replay command.
    expect(campaign.results.filter((r) => r.problems.length > 0).map(failureLine)).toEqual([]);
    expect(campaign.results.map((r) => r.seed)).toEqual(Array.from({ length: SEEDS }, (_, i) => i + 1));
    for (const profile of simProfiles) expect(campaign.results.filter((r) => r.profile === profile).length).toBe(SEEDS / 3);
    // The campaign proves something only if the faults really happened.
    const injected = (kind: FaultKind): number => campaign.results.reduce((n, r) => n + (r.faults[kind] ?? 0), 0);
    for (const kind of faultKinds) {
      expect(injected(kind), kind).toBeGreaterThan(0);
    }
    expect(
      campaign.results.some((r) => r.outcome === 'recovered'),
      'some seed failed clearly and its rerun recovered',
    ).toBe(true);
  }, 600_000);
});

describe('same seed, same bytes', () => {
  let root: string;
  let s3: LocalS3;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sim-determinism-'));
    s3 = await startLocalS3({ directory: join(root, 's3'), buckets: ['sim'] });
  });
  afterAll(async () => {
    await s3.close();
    await rm(root, { recursive: true, force: true });
  });

  const envFor = (name: string): SeedEnv => ({
    s3Endpoint: s3.endpoint,
    s3Credentials: s3.credentials,
    bucket: 'sim',
    workDir: join(root, name),
    campaignId: name,
    keep: true,
  });

  /** The report with this attempt's own places (data directory, key prefix) named alike. */
  const placeless = (report: RunReport | undefined, name: string): unknown =>
    JSON.parse(JSON.stringify(report).replaceAll(join(root, name), '<dir>').replaceAll(`${name}/`, '<prefix>/'));

  it('a hostile seed run twice gives the same output file (sha256) and the same report', async () => {
    // Seed 32 of hostile: 5xx, 503 with Retry-After, a 429, resets, truncated bodies, slow answers, 17 token refreshes.
    const registered = defaultSecretRegistry.size;
    const a = await runSeed(32, 'hostile', envFor('a'));
    // A finished run leaves its configuration's secrets (the password, the S3 secret) registered for redaction, not
    // its tokens: a process running run after run scrubbed every log line against every token it was ever issued.
    expect(defaultSecretRegistry.size - registered).toBe(2);
    const b = await runSeed(32, 'hostile', envFor('b'));
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    expect(a.report?.status).toBe('succeeded');
    expect(a.report?.requests.retries).toBeGreaterThan(0);
    const sha = async (path: string | undefined): Promise<string> =>
      createHash('sha256')
        .update(await readFile(path ?? ''))
        .digest('hex');
    expect(await sha(b.report?.output?.path)).toBe(await sha(a.report?.output?.path));
    expect(b.report?.output?.sha256).toBe(a.report?.output?.sha256);
    // Simulated time makes even the timeline and durations repeat exactly.
    expect(placeless(b.report, 'b')).toEqual(placeless(a.report, 'a'));
    expect(b.virtualMs).toBe(a.virtualMs);
    expect(b.faults).toEqual(a.faults);
  }, 120_000);
});
