import { PutObjectCommand } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunReport } from '../../src/report/runReport.js';
import { MAX_BUCKETS } from '../../src/run/runSeries.js';
import { getObjectText, listKeys } from './support/deliveredObject.js';
import { startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { customerSchema } from '../../src/simulator/simulatorSchemas.js';

// A server limited to 5 requests/s, and a run told the limit is 20: the limiter meets 429s and slows down.
const SIM = { profile: 'calm', records: 1500, seed: 11, rateLimit: 5, rateLimitBurst: 5, dirtyRate: 0.05 } as const;

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const sum = (report: RunReport, pick: (p: NonNullable<RunReport['series']>['points'][number]) => number): number =>
  (report.series?.points ?? []).reduce((s, p) => s + pick(p), 0);

describe('the report over time, and against the previous run', () => {
  it('records the run as a bounded series that adds up to the counters, and compares a later run with the latest earlier one in the store', async () => {
    env = await startE2eEnv(SIM);
    const first = await runIngestion(
      env.options({ runId: 'figures-1', ingestDate: '2026-01-02', pageSize: 100, rateLimit: 20 }),
      env.context(),
    );
    expect(first.status).toBe('succeeded');

    // The series adds up to the run's own counts, outcome by outcome.
    const series = first.series!;
    expect(series.points.length).toBeGreaterThan(1);
    expect(series.points.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(series.startedAt).toBe(first.startedAt);
    expect(sum(first, (p) => p.records)).toBe(first.records.received);
    expect(sum(first, (p) => p.pages)).toBe(first.pages.staged);
    expect(sum(first, (p) => p.requests)).toBe(first.requests.total);
    expect(sum(first, (p) => p.retries)).toBe(first.requests.retries);
    expect(first.requests.rateLimited).toBeGreaterThan(0);
    expect(sum(first, (p) => p.outcomes['429'])).toBe(first.requests.rateLimited);
    expect(sum(first, (p) => p.outcomes['2xx'])).toBe(first.requests.byStatus['200']);
    expect(series.points.some((p) => p.limiterRate !== null && p.limiterRate < 20)).toBe(true);
    const latency = series.latencyMs!;
    expect(latency.p50).toBeLessThanOrEqual(latency.p90);
    expect(latency.p90).toBeLessThanOrEqual(latency.p99);
    expect(latency.p99).toBeLessThanOrEqual(latency.max);
    // Where staging's time went: at most a transaction per page, and within the run (parsing may overlap a commit).
    const staging = first.throughput.staging;
    expect(staging.transactions).toBeGreaterThanOrEqual(1);
    expect(staging.transactions).toBeLessThanOrEqual(first.pages.staged);
    expect(staging.appendMs + staging.commitMs).toBeGreaterThan(0);
    expect(staging.appendMs + staging.checkpointMs + staging.commitMs).toBeLessThanOrEqual(first.durationMs);
    expect(staging.parseMs).toBeLessThanOrEqual(first.durationMs);
    expect(first.previous).toBeUndefined();
    // A calm run rejects nothing without cleaning: no rejects file, locally or in the store.
    expect(first.records.rejected).toBe(0);
    expect(first.output?.rejectsPath).toBeUndefined();
    expect(existsSync(first.output!.path.replace(/\.parquet$/, '.rejects.ndjson'))).toBe(false);
    expect((await listKeys(env.client, 'lake', '_reports/')).filter((k) => k.includes('rejects'))).toEqual([]);

    // Yesterday's schema differed: the first run's stored report says so (one column fewer, one typed otherwise, one since gone).
    const firstKey = '_reports/customers/ingest_date=2026-01-02/figures-1.report.json';
    const stored1 = JSON.parse(await getObjectText(env.client, 'lake', firstKey)) as RunReport;
    expect(stored1.throughput).toEqual(first.throughput);
    const [kept, dropped, retyped] = [stored1.quality[0]!, stored1.quality[1]!, stored1.quality[2]!];
    const quality = [kept, { ...retyped, type: 'BOOLEAN' }, ...stored1.quality.slice(3), { ...kept, column: 'legacy_code' }];
    await env.client.send(new PutObjectCommand({ Bucket: 'lake', Key: firstKey, Body: JSON.stringify({ ...stored1, quality }) }));
    // A damaged object where a report would be is skipped, not a failure.
    await env.client.send(
      new PutObjectCommand({ Bucket: 'lake', Key: '_reports/customers/ingest_date=2026-01-02/zz-damaged.report.json', Body: '{"not json' }),
    );
    const second = await runIngestion(
      env.options({
        runId: 'figures-2',
        ingestDate: '2026-01-03',
        pageSize: 100,
        rateLimit: 20,
        transform: 'clean',
        schema: customerSchema,
      }),
      env.context(),
    );
    expect(second.status).toBe('succeeded');
    const previous = second.previous!;
    expect(previous).toMatchObject({
      runId: 'figures-1',
      uri: 's3://lake/_reports/customers/ingest_date=2026-01-02/figures-1.report.json',
      finishedAt: first.finishedAt,
      durationMs: first.durationMs,
      recordsReceived: first.records.received,
      recordsUnique: first.records.unique,
      rateLimited: first.requests.rateLimited,
      recordsPerSecond: first.throughput.recordsPerSecond,
    });
    expect(previous.columns).toEqual({
      added: [dropped.column],
      removed: ['legacy_code'],
      retyped: [{ column: retyped.column, from: 'BOOLEAN', to: second.quality.find((q) => q.column === retyped.column)?.type }],
    });

    // Delivered: the JSON with its figures, the HTML with its charts, the rejects of the cleaning.
    const base = '_reports/customers/ingest_date=2026-01-03/figures-2';
    const stored = JSON.parse(await getObjectText(env.client, 'lake', `${base}.report.json`)) as RunReport;
    expect(stored.previous).toEqual(previous);
    expect(stored.series).toEqual(second.series);
    const html = await getObjectText(env.client, 'lake', `${base}.report.html`);
    for (const id of ['chart-throughput', 'chart-outcomes', 'chart-rate', 'chart-latency', 'chart-gantt'])
      expect(html).toContain(`id="${id}"`);
    expect(html).toContain('Compared with the previous run');
    expect(html).toContain('figures-1');
    expect(second.records.rejected).toBeGreaterThan(0);
    const rejects = await getObjectText(env.client, 'lake', `${base}.rejects.ndjson`);
    expect(rejects.trim().split('\n')).toHaveLength(second.records.rejected);
  });
});
