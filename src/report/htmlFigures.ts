import { formatCount, formatDuration } from './format.js';
import { html, type SafeHtml } from './htmlTemplate.js';
import { comparisonRows } from './previousRun.js';
import type { RunReport } from './runReport.js';
import { seriesCharts } from './seriesCharts.js';

/** The run over time: four charts, and the overall latency percentiles. */
export function overTimeSection(report: RunReport): SafeHtml {
  const { series } = report;
  if (!series || series.points.length === 0)
    return html`<section id="over-time">
      <h2>Over time</h2>
      <p>No time series was recorded for this run.</p>
    </section>`;
  const latency = series.latencyMs;
  return html`<section id="over-time">
    <h2>Over time</h2>
    <p class="note">
      ${formatCount(series.points.length)} buckets of ${formatDuration(series.bucketMs)} from
      ${series.startedAt}${report.resumed ? ' (this attempt only: pages staged before the resume are not in the charts)' : ''}.
    </p>
    ${
      latency
        ? html`<table aria-label="Page latency">
            <thead>
              <tr>
                <th>Page latency</th>
                <th class="num">p50</th>
                <th class="num">p90</th>
                <th class="num">p99</th>
                <th class="num">max</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">whole run</th>
                <td class="num">${formatDuration(latency.p50)}</td>
                <td class="num">${formatDuration(latency.p90)}</td>
                <td class="num">${formatDuration(latency.p99)}</td>
                <td class="num">${formatDuration(latency.max)}</td>
              </tr>
            </tbody>
          </table>`
        : ''
    }
    <div class="charts">${seriesCharts(series)}</div>
  </section>`;
}

/** This run against the latest earlier report of the dataset in the store. */
export function comparisonSection(report: RunReport): SafeHtml {
  const { previous } = report;
  if (!previous)
    return html`<section id="previous">
      <h2>Compared with the previous run</h2>
      <p>No report of an earlier successful run of this dataset was found in the store.</p>
    </section>`;
  return html`<section id="previous">
    <h2>Compared with the previous run</h2>
    <p>Previous run <code>${previous.runId}</code> (finished ${previous.finishedAt}), report <code>${previous.uri}</code>.</p>
    <table aria-label="Compared with the previous run">
      <thead>
        <tr>
          <th></th>
          <th class="num">Previous</th>
          <th class="num">This run</th>
          <th>Change</th>
        </tr>
      </thead>
      <tbody>
        ${comparisonRows(report, previous).map(
          (r) =>
            html`<tr>
              <th scope="row">${r.label}</th>
              <td class="num">${r.previous}</td>
              <td class="num">${r.current}</td>
              <td>${r.change}</td>
            </tr> `,
        )}
      </tbody>
    </table>
  </section>`;
}
