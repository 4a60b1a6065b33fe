import { html, type SafeHtml } from './htmlTemplate.js';
import type { OutcomeClass, RunSeries } from './runReport.js';
import { timeChart, type BarSeries } from './svgChart.js';

/** Colours per request outcome: success green, the 429s orange, failures red and purple. */
const OUTCOME_COLORS: Readonly<Record<OutcomeClass, string>> = {
  '2xx': '#2da44e',
  '429': '#e16f24',
  '4xx': '#bf3989',
  '5xx': '#cf222e',
  timeout: '#8250df',
  network: '#6e7781',
  superseded: '#afb8c1',
};
const OUTCOME_LABELS: Readonly<Record<OutcomeClass, string>> = {
  '2xx': '2xx',
  '429': '429',
  '4xx': 'other 4xx',
  '5xx': '5xx',
  timeout: 'timeout',
  network: 'network error',
  superseded: 'superseded (hedged)',
};

/** The figures of the "Over time" section: throughput, outcomes, the limiter against the 429s, latency. */
export function seriesCharts(series: RunSeries): SafeHtml {
  const { points, bucketMs } = series;
  const perSecond = (v: number): number => Math.round((v / (bucketMs / 1000)) * 100) / 100;
  const base = { bucketMs, buckets: points.length };
  // Only outcomes the run met get a legend entry.
  const outcomes: BarSeries[] = (Object.keys(OUTCOME_COLORS) as OutcomeClass[])
    .filter((c) => points.some((p) => p.outcomes[c] > 0))
    .map((c) => ({ label: OUTCOME_LABELS[c], color: OUTCOME_COLORS[c], values: points.map((p) => p.outcomes[c]) }));
  let rate: number | null = null;
  // The limiter's rate is known from each 429 on; it holds until the next one.
  const limiter = points.map((p) => (rate = p.limiterRate ?? rate));
  return html`${timeChart({
    ...base,
    id: 'chart-throughput',
    title: 'Throughput: records staged per second',
    yLabel: 'records/s',
    bars: [{ label: 'records/s', color: '#0969da', values: points.map((p) => perSecond(p.records)) }],
  })}
  ${timeChart({
    ...base,
    id: 'chart-outcomes',
    title: `Request outcomes per ${bucketLabel(bucketMs)}`,
    yLabel: 'requests',
    bars: outcomes,
  })}
  ${timeChart({
    ...base,
    id: 'chart-rate',
    title: "Request rate: sent, the limiter's rate after each 429, and the 429s met",
    yLabel: 'requests/s',
    bars: [{ label: '429s/s', color: OUTCOME_COLORS['429'], values: points.map((p) => perSecond(p.outcomes['429'])) }],
    lines: [
      { label: 'sent/s', color: '#0969da', values: points.map((p) => perSecond(p.requests)) },
      ...(limiter.some((v) => v !== null) ? [{ label: 'limiter rate', color: '#1b7c83', values: limiter, step: true, dashed: true }] : []),
    ],
  })}
  ${timeChart({
    ...base,
    id: 'chart-latency',
    title: 'Page latency percentiles (successful attempts)',
    yLabel: 'ms',
    lines: [
      { label: 'p50', color: '#2da44e', values: points.map((p) => p.latencyMs?.p50 ?? null) },
      { label: 'p90', color: '#bf8700', values: points.map((p) => p.latencyMs?.p90 ?? null) },
      { label: 'p99', color: '#cf222e', values: points.map((p) => p.latencyMs?.p99 ?? null) },
    ],
  })}`;
}

function bucketLabel(bucketMs: number): string {
  return bucketMs % 60_000 === 0 ? `${bucketMs / 60_000} min` : `${Math.round(bucketMs / 100) / 10} s`;
}
