import { describe, expect, it } from 'vitest';
import { MAX_BUCKETS, outcomeClass, RunSeriesBuilder } from '../../src/run/runSeries.js';

const exact = (sorted: number[], q: number): number => sorted[Math.ceil(q * sorted.length) - 1] ?? 0;

describe('RunSeriesBuilder', () => {
  it('keeps at most MAX_BUCKETS buckets for a long run, and loses no count when it widens them', () => {
    const start = 1_000_000;
    const series = new RunSeriesBuilder(start);
    const latencies: number[] = [];
    let records = 0;
    // Three hours of pages every 50 ms (216,000 pages), latencies spread over 20..2,000 ms.
    for (let i = 0; i < 216_000; i++) {
      const at = start + i * 50;
      const latencyMs = 20 + ((i * 7919) % 1981);
      latencies.push(latencyMs);
      series.record({ type: 'request.sent', page: i }, at);
      series.record({ type: 'request.done', page: i, outcome: i % 100 === 0 ? '429' : '200', bytes: 10 }, at + 10);
      series.record({ type: 'page.staged', page: i, records: 50, attempts: 1, latencyMs, totalPages: undefined }, at + 20);
      records += 50;
    }
    series.record({ type: 'rateLimit.hit', page: 1, waitMs: 1000, ratePerSecond: 12.5 }, start + 60_000);
    const out = series.series(start + 216_000 * 50);
    expect(out.points.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(out.points.length).toBeGreaterThan(MAX_BUCKETS / 2);
    expect(out.bucketMs).toBeGreaterThanOrEqual((216_000 * 50) / MAX_BUCKETS);
    expect(out.points.reduce((s, p) => s + p.records, 0)).toBe(records);
    expect(out.points.reduce((s, p) => s + p.requests, 0)).toBe(216_000);
    expect(out.points.reduce((s, p) => s + p.outcomes['429'], 0)).toBe(2160);
    expect(out.points.reduce((s, p) => s + p.outcomes['2xx'], 0)).toBe(216_000 - 2160);
    expect(out.points.filter((p) => p.limiterRate !== null).map((p) => p.limiterRate)).toEqual([12.5]);
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99] as const) {
      const key = `p${Math.round(q * 100)}` as 'p50' | 'p90' | 'p99';
      expect(Math.abs((out.latencyMs?.[key] ?? 0) - exact(sorted, q)) / exact(sorted, q)).toBeLessThan(0.03);
    }
    expect(out.latencyMs?.max).toBe(2000);
    expect(out.startedAt).toBe(new Date(start).toISOString());
  });

  it("never reports a percentile above the largest latency seen (a bin's middle can lie above it)", () => {
    const series = new RunSeriesBuilder(0);
    for (let i = 0; i < 100; i++) {
      series.record({ type: 'page.staged', page: i, records: 1, attempts: 1, latencyMs: 32, totalPages: undefined }, i);
    }
    const overall = series.series(100).latencyMs!;
    expect(overall.max).toBe(32);
    expect([overall.p50, overall.p90, overall.p99]).toEqual([32, 32, 32]);
  });

  it('has a point for every bucket up to the end, empty ones included', () => {
    const series = new RunSeriesBuilder(0);
    series.record({ type: 'page.retry', page: 1, attempt: 1, status: 503, outcome: '503', reason: 'x', waitMs: 5 }, 500);
    const out = series.series(4_200);
    expect(out.bucketMs).toBe(1000);
    expect(out.points.map((p) => p.t)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(out.points.map((p) => p.retries)).toEqual([1, 0, 0, 0, 0]);
    expect(out.points[1]?.latencyMs).toBeNull();
    expect(out.latencyMs).toBeNull();
  });

  it('classes outcomes', () => {
    expect(['200', '204', '429', '401', '404', '500', '503', 'timeout', 'network'].map(outcomeClass)).toEqual([
      '2xx',
      '2xx',
      '429',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      'timeout',
      'network',
    ]);
  });
});
