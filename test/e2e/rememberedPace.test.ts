import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { readDelivered } from './support/deliveredObject.js';
import { INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

interface KeptPace {
  readonly ceiling?: number;
  readonly accepted?: number;
  readonly learnedAt: string;
}

describe('rememberPace: a later run against the same API starts from the pace an earlier one learned', () => {
  it('the limit found by 429s is kept by origin in pace.json; the next run starts at 0.95 of it; off, it learns again', async () => {
    // 20 req/s with a burst of 5 and no rate-limit headers: only 429s tell the limit.
    const sim = {
      profile: 'calm',
      records: 2000,
      seed: 31,
      rateLimit: 20,
      rateLimitBurst: 5,
      rateLimitHeaders: false,
      latency: { kind: 'fixed', ms: 10 },
    } as const;
    env = await startE2eEnv(sim);
    const run = async (runId: string, rememberPace?: boolean) => {
      const report = await runIngestion(
        // The limit untold (the environment tells a calm API's), for the runs to learn it; a partition per run.
        env!.options({
          runId,
          prefix: runId,
          pageSize: 50,
          format: 'ndjson',
          rateLimit: undefined,
          ...(rememberPace === undefined ? {} : { rememberPace }),
        }),
        env!.context(),
      );
      expect(report.error).toBeUndefined();
      const object = await readDelivered(
        env!.client,
        'lake',
        `${runId}/customers/ingest_date=${INGEST_DATE}/customers_${runId}.ndjson`,
        'ndjson',
      );
      expect(new Set(object.rows.map((row) => row['id'])).size).toBe(sim.records);
      return report;
    };
    const kept = async (): Promise<Record<string, KeptPace>> =>
      JSON.parse(await readFile(join(env!.dataDir, 'pace.json'), 'utf8')) as Record<string, KeptPace>;

    const first = await run('first');
    expect(first.requests.pace).toEqual({ from: 'slowStart', rate: 2 });
    expect(first.requests.rateLimited).toBeGreaterThan(0);
    const origin = new URL(env.sim.url).origin;
    const learned = (await kept())[origin]!;
    expect(Object.keys(await kept())).toEqual([origin]);
    // The ceiling its 429s showed: about the limit (a burst read as rate inflates it a little).
    expect(learned.ceiling).toBeGreaterThan(10);
    expect(learned.ceiling).toBeLessThan(40);
    expect(Date.parse(learned.learnedAt)).toBeLessThanOrEqual(Date.now());

    const second = await run('second');
    expect(second.requests.pace).toEqual({ from: 'remembered', rate: 0.95 * learned.ceiling!, learnedAt: learned.learnedAt });
    // What it learned in turn replaces the pace kept.
    expect((await kept())[origin]!.learnedAt >= learned.learnedAt).toBe(true);

    const third = await run('third', false);
    expect(third.requests.pace).toEqual({ from: 'slowStart', rate: 2 });
    expect(third.requests.rateLimited).toBeGreaterThan(0);
  });
});
