import { formatCount } from './format.js';
import { html, SafeHtml } from './htmlTemplate.js';

/** Chart geometry, in the SVG's own units (it scales to the page width). */
export const WIDTH = 760;
const HEIGHT = 250;
export const LEFT = 64;
const RIGHT = 16;
const TOP = 34;
const BOTTOM = 40;
export const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

/** One line over the buckets; null values leave a gap. `step` draws it as a staircase. */
export interface LineSeries {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  readonly step?: boolean;
  readonly dashed?: boolean;
}

/** One layer of stacked bars over the buckets. */
export interface BarSeries {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

export interface TimeChart {
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly bars?: readonly BarSeries[];
  readonly lines?: readonly LineSeries[];
}

/** 0, 1, 2, 5, 10, 20, 50...: a step that gives about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (max <= 0) return 1;
  const raw = max / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const mantissa = raw / power;
  return (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * power;
}

/** Ticks on a time axis: whole seconds, minutes or hours, about `count` of them. */
export function timeStep(totalMs: number, count = 8): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400].map((s) => s * 1000);
  return steps.find((s) => totalMs / s <= count) ?? Math.ceil(totalMs / count / 86_400_000) * 86_400_000;
}

/** 90000 -> "1m30s": short labels for a time axis. */
export function shortTime(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h${m > 0 ? `${String(m).padStart(2, '0')}m` : ''}`;
  return `${m}m${rest > 0 ? `${String(rest).padStart(2, '0')}s` : ''}`;
}

const fmt = (n: number): string => (Math.abs(n) >= 100 || Number.isInteger(n) ? formatCount(n) : formatCount(n, 1));

/** A legend in one row above the plot. */
export function legend(
  items: readonly { readonly label: string; readonly color: string; readonly line?: boolean; readonly dashed?: boolean }[],
): SafeHtml {
  let x = LEFT;
  return html`${items.map((item) => {
    const mark = item.line
      ? html`<line
          x1="${x}"
          y1="14"
          x2="${x + 14}"
          y2="14"
          stroke="${item.color}"
          stroke-width="2.5"
          ${item.dashed ? new SafeHtml(' stroke-dasharray="4 2"') : ''}
        />`
      : html`<rect x="${x}" y="8" width="14" height="12" rx="2" fill="${item.color}" />`;
    const out = html`<g class="legend">${mark}<text x="${x + 19}" y="18">${item.label}</text></g>`;
    x += 19 + item.label.length * 6.6 + 18;
    return out;
  })}`;
}

/** The frame of a time chart: the y grid with its labels, the x axis with time ticks, axis titles. */
export function timeAxes(totalMs: number, yMax: number, yLabel: string): SafeHtml {
  const yStep = niceStep(yMax);
  const yTicks: number[] = [];
  for (let v = 0; v <= yMax + yStep / 1e6; v += yStep) yTicks.push(v);
  const xStep = timeStep(totalMs);
  const xTicks: number[] = [];
  for (let t = 0; t <= totalMs; t += xStep) xTicks.push(t);
  const y = (v: number): number => TOP + PLOT_HEIGHT - (v / yMax) * PLOT_HEIGHT;
  const x = (t: number): number => LEFT + (t / totalMs) * PLOT_WIDTH;
  return html`<g class="axes">
    ${yTicks.map(
      (v) =>
        html`<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" /><text
            class="tick"
            x="${LEFT - 6}"
            y="${(y(v) + 4).toFixed(1)}"
            text-anchor="end"
            >${fmt(v)}</text
          >`,
    )}
    ${xTicks.map(
      (t) =>
        html`<line
            class="axis"
            x1="${x(t).toFixed(1)}"
            x2="${x(t).toFixed(1)}"
            y1="${TOP + PLOT_HEIGHT}"
            y2="${TOP + PLOT_HEIGHT + 4}"
          /><text class="tick" x="${x(t).toFixed(1)}" y="${TOP + PLOT_HEIGHT + 17}" text-anchor="middle">${shortTime(t)}</text>`,
    )}
    <line class="axis" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${TOP + PLOT_HEIGHT}" y2="${TOP + PLOT_HEIGHT}" />
    <line class="axis" x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + PLOT_HEIGHT}" />
    <text class="label" x="${LEFT + PLOT_WIDTH / 2}" y="${HEIGHT - 4}" text-anchor="middle">time since the run started</text>
    <text class="label" transform="translate(14 ${TOP + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>
  </g>`;
}

/** Stacked bars and lines over time buckets, with axes and a legend. */
export function timeChart(chart: TimeChart): SafeHtml {
  const bars = chart.bars ?? [];
  const lines = chart.lines ?? [];
  const n = Math.max(1, chart.buckets);
  const totalMs = n * chart.bucketMs;
  const stacked = Array.from({ length: n }, (_, i) => bars.reduce((sum, b) => sum + (b.values[i] ?? 0), 0));
  const lineMax = Math.max(0, ...lines.flatMap((l) => l.values.filter((v): v is number => v !== null)));
  const rawMax = Math.max(...stacked, lineMax);
  const yMax = rawMax > 0 ? Math.ceil(rawMax / niceStep(rawMax)) * niceStep(rawMax) : 1;
  const slot = PLOT_WIDTH / n;
  const y = (v: number): number => TOP + PLOT_HEIGHT - (v / yMax) * PLOT_HEIGHT;
  const barMarks = Array.from({ length: n }, (_, i) => {
    let base = 0;
    return bars.map((b) => {
      const v = b.values[i] ?? 0;
      if (v <= 0) return '';
      const rect = html`<rect
        x="${(LEFT + i * slot + slot * 0.08).toFixed(1)}"
        y="${y(base + v).toFixed(1)}"
        width="${(slot * 0.84).toFixed(2)}"
        height="${(y(base) - y(base + v)).toFixed(1)}"
        fill="${b.color}"
      />`;
      base += v;
      return rect;
    });
  });
  const paths = lines.map(
    (l) =>
      html`<path
        d="${linePath(l, slot, y)}"
        fill="none"
        stroke="${l.color}"
        stroke-width="2"
        stroke-linejoin="round"
        stroke-linecap="round"
        ${l.dashed ? new SafeHtml(' stroke-dasharray="5 3"') : ''}
      />`,
  );
  return html`<figure id="${chart.id}">
    <figcaption>${chart.title}</figcaption>
    <svg
      xmlns="http://www.w3.org/2000/svg"
      role="img"
      aria-label="${chart.title}"
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      width="100%"
      style="max-width:${WIDTH}px"
    >
      ${legend([...bars, ...lines.map((l) => ({ ...l, line: true }))])} ${timeAxes(totalMs, yMax, chart.yLabel)}
      <g class="marks">${barMarks}${paths}</g>
    </svg>
  </figure>`;
}

function linePath(line: LineSeries, slot: number, y: (v: number) => number): string {
  const parts: string[] = [];
  let open = false;
  line.values.forEach((v, i) => {
    if (v === null) {
      open = false;
      return;
    }
    const left = LEFT + i * slot;
    if (line.step) {
      parts.push(`${open ? 'L' : 'M'}${left.toFixed(1)} ${y(v).toFixed(1)}`, `L${(left + slot).toFixed(1)} ${y(v).toFixed(1)}`);
    } else {
      // A point that starts a line also draws a dot (a zero-length segment with round caps): alone, it still shows.
      parts.push(`${open ? 'L' : 'M'}${(left + slot / 2).toFixed(1)} ${y(v).toFixed(1)}${open ? '' : ' l0 0'}`);
    }
    open = true;
  });
  return parts.join(' ');
}
