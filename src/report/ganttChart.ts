import { formatDuration } from './format.js';
import { html, type SafeHtml } from './htmlTemplate.js';
import type { StateVisit } from './runReport.js';
import { LEFT, PLOT_WIDTH, shortTime, timeStep, WIDTH } from './svgChart.js';

const ROW = 26;
const TOP = 10;
const STATE_COLORS: readonly string[] = ['#0969da', '#2da44e', '#e16f24', '#8250df', '#bf3989', '#cf222e', '#1b7c83', '#953800'];

interface Span {
  readonly start: number;
  end: number;
  visits: number;
  totalMs: number;
}

/**
 * The state timeline as a Gantt chart: one row per state, a bar per visit. Visits closer than
 * a pixel are drawn as one bar, so a 429 storm of thousands of short pauses stays a light SVG.
 */
export function ganttChart(timeline: readonly StateVisit[]): SafeHtml {
  const first = timeline[0];
  if (!first) return html``;
  const origin = Date.parse(first.enteredAt);
  const totalMs = Math.max(1, ...timeline.map((v) => Date.parse(v.enteredAt) + v.durationMs - origin));
  const states = [...new Set(timeline.map((v) => v.state))];
  const left = LEFT + 130;
  const width = PLOT_WIDTH - 130;
  const px = (ms: number): number => (ms / totalMs) * width;
  const rows = states.map((state) => {
    const spans: Span[] = [];
    for (const v of timeline) {
      if (v.state !== state) continue;
      const start = Date.parse(v.enteredAt) - origin;
      const last = spans.at(-1);
      if (last && px(start - last.end) < 1) {
        last.end = start + v.durationMs;
        last.visits += 1;
        last.totalMs += v.durationMs;
      } else spans.push({ start, end: start + v.durationMs, visits: 1, totalMs: v.durationMs });
    }
    return { state, spans };
  });
  const height = TOP + rows.length * ROW + 40;
  const axisY = TOP + rows.length * ROW;
  const step = timeStep(totalMs);
  const ticks: number[] = [];
  for (let t = 0; t <= totalMs; t += step) ticks.push(t);
  return html`<figure id="chart-gantt">
    <figcaption>State timeline</figcaption>
    <svg
      xmlns="http://www.w3.org/2000/svg"
      role="img"
      aria-label="State timeline"
      viewBox="0 0 ${WIDTH} ${height}"
      width="100%"
      style="max-width:${WIDTH}px"
    >
      ${ticks.map(
        (t) =>
          html`<line class="grid" x1="${(left + px(t)).toFixed(1)}" x2="${(left + px(t)).toFixed(1)}" y1="${TOP}" y2="${axisY + 4}" /><text
              class="tick"
              x="${(left + px(t)).toFixed(1)}"
              y="${axisY + 17}"
              text-anchor="middle"
              >${shortTime(t)}</text
            >`,
      )}
      ${rows.map(
        (row, i) =>
          html`<g>
            <text x="${left - 8}" y="${TOP + i * ROW + 17}" text-anchor="end">${row.state}</text>
            ${row.spans.map(
              (s) =>
                html`<rect
                  x="${(left + px(s.start)).toFixed(2)}"
                  y="${TOP + i * ROW + 5}"
                  width="${Math.max(1, px(s.end - s.start)).toFixed(2)}"
                  height="${ROW - 10}"
                  rx="2"
                  fill="${STATE_COLORS[i % STATE_COLORS.length]}"
                  ><title>${row.state}: ${formatDuration(s.totalMs)}${s.visits > 1 ? ` over ${s.visits} visits` : ''}</title></rect
                >`,
            )}
          </g>`,
      )}
      <line class="axis" x1="${left}" x2="${left + width}" y1="${axisY}" y2="${axisY}" />
      <text class="label" x="${left + width / 2}" y="${height - 4}" text-anchor="middle">time since the run started</text>
    </svg>
  </figure>`;
}
