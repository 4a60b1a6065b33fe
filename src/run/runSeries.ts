import type { StreamEvent } from '../paging/streamEvent.js';
import { OUTCOME_CLASSES, type LatencyPercentiles, type OutcomeClass, type RunSeries, type SeriesPoint } from '../report/runReport.js';

/** Buckets kept at most: a chart's worth of points, whatever the run's length. */
export const MAX_BUCKETS = 120;
const FIRST_BUCKET_MS = 1000;
/** Latency bins grow by 2^(1/16) (about 4.4 %): a percentile is within about 2.2 % of the truth. */
const BIN_RATIO = Math.pow(2, 1 / 16);

/** Sparse latency histogram: bin index -> pages. Bounded by the bins a run's latencies span (a few hundred). */
type Histogram = Map<number, number>;

interface Bucket {
  records: number;
  pages: number;
  requests: number;
  retries: number;
  outcomes: Record<OutcomeClass, number>;
  limiterRate: number | null;
  latency: Histogram;
}

function emptyBucket(): Bucket {
  const outcomes = Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, 0])) as Record<OutcomeClass, number>;
  return { records: 0, pages: 0, requests: 0, retries: 0, outcomes, limiterRate: null, latency: new Map() };
}

/** `request.done`'s outcome (an HTTP status, `timeout`, `network` or `superseded`) as a class. */
export function outcomeClass(outcome: string): OutcomeClass {
  if (outcome === 'timeout' || outcome === 'network' || outcome === '429' || outcome === 'superseded') return outcome;
  if (outcome.startsWith('2')) return '2xx';
  if (outcome.startsWith('5')) return '5xx';
  return '4xx';
}

const binOf = (ms: number): number => Math.floor(Math.log(Math.max(1, ms)) / Math.log(BIN_RATIO));
/** The bin's geometric middle, in whole ms. */
const valueOf = (bin: number): number => Math.round(Math.pow(BIN_RATIO, bin + 0.5));

function addInto(into: Histogram, from: Histogram): void {
  for (const [bin, n] of from) into.set(bin, (into.get(bin) ?? 0) + n);
}

/** Percentiles from the bins; `ceiling` (the largest latency seen) caps them, as a bin's middle may lie above it. */
function percentiles(h: Histogram, ceiling = Infinity): LatencyPercentiles | null {
  const bins = [...h].sort(([a], [b]) => a - b);
  const total = bins.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const at = (q: number): number => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const [bin, n] of bins) if ((seen += n) >= rank) return Math.min(valueOf(bin), ceiling);
    return Math.min(valueOf(bins.at(-1)?.[0] ?? 0), ceiling);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/**
 * The run over time, fed from the same stream events the counters count, each with the clock
 * time it arrived. Memory is bounded for any run length: at most MAX_BUCKETS buckets, and when
 * the run outgrows them, neighbours are merged in pairs and the bucket width doubles.
 */
export class RunSeriesBuilder {
  #bucketMs = FIRST_BUCKET_MS;
  readonly #buckets: Bucket[] = [];
  readonly #overall: Histogram = new Map();
  #maxLatencyMs = 0;

  constructor(readonly startedAtMs: number) {}

  record(event: StreamEvent, atMs: number): void {
    const b = this.#bucketAt(atMs);
    switch (event.type) {
      case 'request.sent':
        b.requests += 1;
        return;
      case 'request.done':
        b.outcomes[outcomeClass(event.outcome)] += 1;
        return;
      case 'page.staged': {
        b.records += event.records;
        b.pages += 1;
        const bin = binOf(event.latencyMs);
        b.latency.set(bin, (b.latency.get(bin) ?? 0) + 1);
        this.#overall.set(bin, (this.#overall.get(bin) ?? 0) + 1);
        this.#maxLatencyMs = Math.max(this.#maxLatencyMs, Math.round(event.latencyMs));
        return;
      }
      case 'page.retry':
        b.retries += 1;
        return;
      case 'rateLimit.hit':
        b.limiterRate = event.ratePerSecond;
        return;
      default:
        return;
    }
  }

  /** The series up to `untilMs` (the run's end): every bucket, empty ones included. */
  series(untilMs: number): RunSeries {
    this.#bucketAt(untilMs);
    const points: SeriesPoint[] = this.#buckets.map((b, i) => ({
      t: i * this.#bucketMs,
      records: b.records,
      pages: b.pages,
      requests: b.requests,
      retries: b.retries,
      outcomes: { ...b.outcomes },
      limiterRate: b.limiterRate,
      latencyMs: percentiles(b.latency),
    }));
    const overall = percentiles(this.#overall, this.#maxLatencyMs);
    return {
      startedAt: new Date(this.startedAtMs).toISOString(),
      bucketMs: this.#bucketMs,
      points,
      latencyMs: overall === null ? null : { ...overall, max: this.#maxLatencyMs },
    };
  }

  #bucketAt(atMs: number): Bucket {
    const index = Math.floor(Math.max(0, atMs - this.startedAtMs) / this.#bucketMs);
    if (index >= MAX_BUCKETS) {
      this.#widen();
      return this.#bucketAt(atMs);
    }
    while (this.#buckets.length <= index) this.#buckets.push(emptyBucket());
    return this.#buckets[index] as Bucket;
  }

  /** Doubles the bucket width: bucket i becomes buckets 2i and 2i+1 merged. */
  #widen(): void {
    const merged: Bucket[] = [];
    for (let i = 0; i < this.#buckets.length; i += 2) {
      const a = this.#buckets[i] as Bucket;
      const b = this.#buckets[i + 1];
      if (b) {
        a.records += b.records;
        a.pages += b.pages;
        a.requests += b.requests;
        a.retries += b.retries;
        for (const c of OUTCOME_CLASSES) a.outcomes[c] += b.outcomes[c];
        a.limiterRate = b.limiterRate ?? a.limiterRate;
        addInto(a.latency, b.latency);
      }
      merged.push(a);
    }
    this.#buckets.splice(0, this.#buckets.length, ...merged);
    this.#bucketMs *= 2;
  }
}
