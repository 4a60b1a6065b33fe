import { checkConsistency } from './checkConsistency.js';
import { duckdbSnippet } from './duckdbSnippet.js';
import { formatCount, formatDuration, formatPercent } from './format.js';
import { ganttChart } from './ganttChart.js';
import { comparisonSection, overTimeSection } from './htmlFigures.js';
import { html, SafeHtml } from './htmlTemplate.js';
import { redactReport } from './redactReport.js';
import type { RenderOptions } from './renderMarkdown.js';
import {
  deliveryFacts,
  MISSING_ERROR,
  outputFacts,
  qualityRows,
  recordFacts,
  requestFacts,
  runFacts,
  statusRows,
  throughputFacts,
  type Fact,
} from './reportFacts.js';
import type { RunReport } from './runReport.js';
import { timeByState, timelineExcerpt } from './timeline.js';

// A report travels by mail and chat: no external asset, and no script may ever run in it.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --code: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #3d444d; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --code: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { margin: 2rem 0 .5rem; font-size: 1.2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1rem; }
.status { font-weight: 700; letter-spacing: .05em; }
.succeeded { color: var(--ok); } .failed { color: var(--bad); }
.error { border-left: 4px solid var(--bad); padding: .5rem 1rem; background: var(--code); }
.warning { color: var(--warn); font-weight: 600; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--code); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code); }
code { padding: 0 .25rem; border-radius: 3px; overflow-wrap: anywhere; }
pre { padding: .75rem; overflow-x: auto; border-radius: 6px; }
ul.checks { list-style: none; padding: 0; }
figure { margin: 1rem 0 1.5rem; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg .tick, svg .label { fill: var(--muted); font-size: 11px; }
svg .grid { stroke: var(--line); stroke-width: .5; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
.note { color: var(--muted); }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
`;

/**
 * The execution report as one self-contained HTML page: inline CSS, an inline SVG chart, no
 * scripts and no external requests. Every value is escaped by the `html` template.
 */
export function renderHtml(input: RunReport, options: RenderOptions = {}): string {
  const report = redactReport(input, options.secrets);
  const verdict = report.status.toUpperCase();
  const page = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content="${CSP}" />
        <title>Run report: ${report.dataset} (${verdict.toLowerCase()})</title>
        <style>
          ${new SafeHtml(CSS)}
        </style>
      </head>
      <body>
        <main>
          <header>
            <h1>Run report: ${report.dataset}</h1>
            <p class="status ${report.status}">${verdict}</p>
            ${report.status !== 'succeeded' ? html`<p class="error"><strong>Error:</strong> ${report.error ?? MISSING_ERROR}</p>` : ''}
            ${factsTable(runFacts(report), 'Run')}
          </header>
          ${comparisonSection(report)} ${overTimeSection(report)} ${timeSection(report)}
          <section id="requests">
            <h2>Requests</h2>
            ${factsTable(requestFacts(report), 'Requests')} ${statusTable(report)}
          </section>
          <section id="records">
            <h2>Pages and records</h2>
            ${factsTable(recordFacts(report), 'Pages and records')} ${consistencyList(report)}
          </section>
          ${factsSection('throughput', 'Throughput', throughputFacts(report))}
          ${factsSection('output', 'Output', outputFacts(report), 'No output file was written.')}
          ${factsSection('delivery', 'Delivery', deliveryFacts(report), 'Not delivered.')} ${qualitySection(report)}
          ${schemaSection(report)} ${renamedSection(report)} ${anomaliesSection(report)} ${querySection(report)}
          <footer>Run ${report.runId} · ${report.startedAt} → ${report.finishedAt}</footer>
        </main>
      </body>
    </html> `;
  // The templates are indented for reading; the page carries none of it (whitespace between tags only).
  return page.value.replace(/>\s+</g, '><').replace(/^<!doctype html>/, '<!doctype html>\n');
}

function factsTable(facts: readonly Fact[], caption: string): SafeHtml {
  const rows = facts.map(
    (f) =>
      html`<tr><th scope="row">${f.label}</th><td${f.num === true ? new SafeHtml(' class="num"') : ''}>${f.code === true ? html`<code>${f.value}</code>` : f.value}</td></tr>`,
  );
  return html`<table aria-label="${caption}">
    <tbody>
      ${rows.map((r) => html`${r} `)}
    </tbody>
  </table>`;
}

function factsSection(id: string, title: string, facts: readonly Fact[] | undefined, absent = ''): SafeHtml {
  return html`<section id="${id}">
    <h2>${title}</h2>
    ${facts ? factsTable(facts, title) : html`<p>${absent}</p>`}
  </section>`;
}

function timeSection(report: RunReport): SafeHtml {
  if (report.timeline.length === 0)
    return html`<section id="time">
      <h2>Time per state</h2>
      <p>No state was recorded.</p>
    </section>`;
  const perState = timeByState(report.timeline);
  const excerpt = timelineExcerpt(report.timeline);
  const visitRow = (v: (typeof excerpt.head)[number]): SafeHtml =>
    html`<tr>
      <td class="num">${v.index}</td>
      <td>${v.state}</td>
      <td>${v.enteredAt}</td>
      <td class="num">${formatDuration(v.durationMs)}</td>
    </tr> `;
  return html`<section id="time">
    <h2>Time per state</h2>
    ${ganttChart(report.timeline)}
    <table>
      <thead>
        <tr>
          <th>State</th>
          <th class="num">Time</th>
          <th class="num">Share</th>
          <th class="num">Visits</th>
        </tr>
      </thead>
      <tbody>
        ${perState.map(
          (s) =>
            html`<tr>
              <td>${s.state}</td>
              <td class="num">${formatDuration(s.totalMs)}</td>
              <td class="num">${formatPercent(s.share, 1)}</td>
              <td class="num">${formatCount(s.visits)}</td>
            </tr> `,
        )}
      </tbody>
    </table>
    <h3>Timeline</h3>
    <table>
      <thead>
        <tr>
          <th class="num">#</th>
          <th>State</th>
          <th>Entered at</th>
          <th class="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        ${excerpt.head.map(visitRow)}${
          excerpt.omitted > 0
            ? html`<tr>
                <td class="num">…</td>
                <td colspan="3"><em>${formatCount(excerpt.omitted)} visits omitted (all are in the JSON report)</em></td>
              </tr> `
            : ''
        }${excerpt.tail.map(visitRow)}
      </tbody>
    </table>
  </section>`;
}

function statusTable(report: RunReport): SafeHtml | string {
  const rows = statusRows(report);
  if (rows.length === 0) return '';
  return html`<table>
    <thead>
      <tr>
        <th>Status</th>
        <th class="num">Responses</th>
        <th class="num">Retries</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (s) =>
          html`<tr>
            <td>${s.status}</td>
            <td class="num">${s.responses}</td>
            <td class="num">${s.retries}</td>
          </tr> `,
      )}
    </tbody>
  </table>`;
}

function consistencyList(report: RunReport): SafeHtml {
  const items = checkConsistency(report).map((c) =>
    c.ok ? html`<li>Consistent: ${c.detail}</li> ` : html`<li class="warning">FAILED: does not add up: ${c.detail}</li> `,
  );
  return html`<ul class="checks">
    ${items}
  </ul>`;
}

function qualitySection(report: RunReport): SafeHtml {
  const rows = qualityRows(report);
  const body =
    rows.length === 0
      ? html`<p>No column statistics were collected.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>Column</th>
              <th>Type</th>
              <th class="num">Nulls</th>
              <th class="num">Null %</th>
              <th class="num">Invalid</th>
              <th>Rule</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (q) =>
                html`<tr>
                  <td><code>${q.column}</code></td>
                  <td>${q.type}</td>
                  <td class="num">${q.nulls}</td>
                  <td class="num">${q.nullShare}</td>
                  <td class="num">${q.invalid}</td>
                  <td>${q.rule}</td>
                </tr> `,
            )}
          </tbody>
        </table>`;
  return html`<section id="quality">
    <h2>Data quality</h2>
    ${body}
  </section>`;
}

/** The dataset's stored schema and the columns this run added to it (ELT), as in the Markdown report. */
function schemaSection(report: RunReport): SafeHtml | string {
  if (!report.schema) return '';
  const changes = report.schemaChanges ?? [];
  return html`<section id="schema">
    <h2>Schema changes</h2>
    <p>The dataset's schema is kept in <code>${report.schema.uri}</code>.</p>
    ${
      changes.length === 0
        ? html`<p>No column was added: every value fits its column.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Column</th>
                <th>Type</th>
                <th>Added for</th>
              </tr>
            </thead>
            <tbody>
              ${changes.map(
                (c) =>
                  html`<tr>
                    <td><code>${c.column}</code></td>
                    <td>${c.type}</td>
                    <td>${c.variantOf === undefined ? 'new field' : html`values of <code>${c.variantOf}</code> that do not fit its type`}</td>
                  </tr> `,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

/** The fields written under another column name, their own being taken: a reader looks for them there. */
function renamedSection(report: RunReport): SafeHtml | string {
  if (!report.renamedFields) return '';
  return html`<section id="renamed">
    <h2>Fields under another name</h2>
    <p>These record fields are in the file under another column name, their own being taken:</p>
    <table>
      <thead>
        <tr>
          <th>Field</th>
          <th>Column</th>
          <th>Why</th>
        </tr>
      </thead>
      <tbody>
        ${report.renamedFields.map(
          (r) =>
            html`<tr>
              <td><code>${r.field}</code></td>
              <td><code>${r.column}</code></td>
              <td>${r.reason}</td>
            </tr> `,
        )}
      </tbody>
    </table>
  </section>`;
}

function anomaliesSection(report: RunReport): SafeHtml {
  const body =
    report.anomalies.length === 0
      ? html`<p>None.</p>`
      : html`<ul>
          ${report.anomalies.map((a) => html`<li>${a}</li> `)}
        </ul>`;
  return html`<section id="anomalies">
    <h2>Anomalies</h2>
    ${body}
  </section>`;
}

function querySection(report: RunReport): SafeHtml {
  const snippet = duckdbSnippet(report);
  return html`<section id="query">
    <h2>Query it</h2>
    ${
      snippet.local.length > 0
        ? html`<p>The local file, with DuckDB:</p>
            <pre><code>${snippet.local.join('\n')}</code></pre>`
        : ''
    }
    ${
      snippet.s3.length > 0
        ? html`<p>The delivered object:</p>
            <pre><code>${snippet.s3.join('\n')}</code></pre>`
        : ''
    }
    <ul>
      ${snippet.notes.map((note) => html`<li>${note}</li> `)}
    </ul>
  </section>`;
}
