import { checkConsistency } from './checkConsistency.js';
import { compareStatusKeys, formatBytes, formatCount, formatDuration, formatPercent, neutralizeControls } from './format.js';
import { redactReport, type Redactor } from './redactReport.js';
import { MISSING_ERROR, stagingTimeLine } from './reportFacts.js';
import type { RunReport } from './runReport.js';
import { timeByState } from './timeline.js';

export interface SummaryOptions {
  /** Colour with ANSI escape codes; when false the text has no escape code at all. */
  readonly color: boolean;
  /** Secret values to scrub from every string; defaults to the process-wide registry. */
  readonly secrets?: Redactor;
  /** Include a failed run's error sentence (default true); the CLI prints it on stderr instead. */
  readonly error?: boolean;
}

type Paint = (text: string) => string;

// Plain SGR codes rather than util.styleText: newer Node versions make styleText drop colour
// on its own based on process.stdout, and the caller has already decided.
const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\x1b[${open}m${text}\x1b[${close}m`;
const PAINTS = { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
const NO_PAINT: typeof PAINTS = { bold: String, dim: String, red: String, green: String, yellow: String };

/** A compact terminal summary of the run (10–20 lines), for the end of `ingest run`. */
export function renderSummary(input: RunReport, options: SummaryOptions): string {
  const report = redactReport(input, options.secrets);
  const p = options.color ? PAINTS : NO_PAINT;
  // Every value from the API or config goes through `t`: no control character reaches the terminal.
  const t = neutralizeControls;
  const n = formatCount;
  const label = (text: string): string => p.dim(text.padEnd(10));
  const r = report.requests;
  const lines: string[] = [];

  const verdict = { succeeded: p.green(p.bold('SUCCEEDED')), failed: p.red(p.bold('FAILED')), cancelled: p.yellow(p.bold('CANCELLED')) }[
    report.status
  ];
  lines.push(`${verdict} ${p.bold(t(report.dataset))} in ${formatDuration(report.durationMs)}  ${p.dim(`run ${t(report.runId)}`)}`);
  if (report.status !== 'succeeded' && options.error !== false) lines.push(p.red(`error     ${t(report.error ?? MISSING_ERROR)}`));
  lines.push(`${label('endpoint')}${t(report.endpoint)}`);

  const statuses = Object.entries(r.byStatus)
    .sort(([a], [b]) => compareStatusKeys(a, b))
    .map(([status, count]) => `${t(status)}×${n(count)}`)
    .join(' ');
  lines.push(`${label('requests')}${n(r.total)}${statuses ? ` (${statuses})` : ''}`);
  const rateLimited = r.rateLimited > 0 ? p.yellow(`${n(r.rateLimited)} × 429`) : '0 × 429';
  lines.push(
    `${label('retries')}${n(r.retries)} · ${rateLimited} (paused ${formatDuration(r.rateLimitPauseMs)}) · ${n(r.tokenRefreshes)} token ${r.tokenRefreshes === 1 ? 'refresh' : 'refreshes'}`,
  );
  if (r.logins > 0) {
    const failed = r.failedLogins > 0 ? p.yellow(`${n(r.failedLogins)} failed`) : '0 failed';
    lines.push(`${label('logins')}${n(r.logins)} (${failed}) in ${formatDuration(r.loginMs)}`);
  }

  const pages = report.pages;
  const skipped = pages.skippedOnResume > 0 ? `, ${n(pages.skippedOnResume)} skipped on resume` : '';
  lines.push(`${label('pages')}${n(pages.staged)}${pages.total === undefined ? '' : `/${n(pages.total)}`} staged${skipped}`);
  const rec = report.records;
  lines.push(
    `${label('records')}${n(rec.received)} received → ${n(rec.unique)} unique, ${n(rec.duplicates)} duplicates, ${n(rec.withoutKey)} without a key, ${n(rec.refused)} refused, ${n(rec.rejected)} rejected`,
  );
  for (const check of checkConsistency(report)) {
    if (!check.ok) lines.push(p.red(p.bold(`FAILED    does not add up: ${check.detail}`)));
  }
  lines.push(`${label('speed')}${n(report.throughput.recordsPerSecond, 1)} records/s · ${n(report.throughput.pagesPerSecond, 2)} pages/s`);
  if (report.throughput.staging.transactions > 0) lines.push(`${label('staging')}${stagingTimeLine(report.throughput.staging)}`);

  const slowest = [...timeByState(report.timeline)].sort((a, b) => b.totalMs - a.totalMs).slice(0, 3);
  if (slowest.length > 0) {
    lines.push(
      `${label('time')}${slowest.map((s) => `${t(s.state)} ${formatDuration(s.totalMs)} (${formatPercent(s.share, 1)})`).join(' · ')}`,
    );
  }

  const o = report.output;
  if (o) {
    lines.push(`${label('output')}${t(o.path)}`);
    lines.push(`${label('')}${t(o.format)}, transform ${o.transform}, ${n(o.rows)} rows, ${formatBytes(o.bytes)}`);
    lines.push(`${label('sha256')}${t(o.sha256)}`);
  } else {
    lines.push(`${label('output')}none written`);
  }
  const d = report.delivery;
  if (d) {
    const status = d.status === 'uploaded' ? p.green('uploaded') : p.green('already delivered');
    lines.push(`${label('delivery')}${status} ${t(d.uri)}`);
    lines.push(`${label('')}verified by ${t(d.verifiedBy)}`);
  } else {
    lines.push(`${label('delivery')}${report.status !== 'succeeded' ? p.yellow('not delivered') : 'not delivered'}`);
  }

  const flagged = report.quality.filter((q) => q.invalid > 0);
  if (flagged.length > 0) {
    const items = flagged.map((q) => `${t(q.column)} ${n(q.invalid)}${q.invalidRule === undefined ? '' : ` (${t(q.invalidRule)})`}`);
    lines.push(`${label('invalid')}${items.join(' · ')}`);
  }
  if (report.anomalies.length > 0) {
    const more = report.anomalies.length > 1 ? ` (+${n(report.anomalies.length - 1)} more in the report)` : '';
    lines.push(p.yellow(`${'anomalies'.padEnd(10)}${n(report.anomalies.length)}: ${t(report.anomalies[0] ?? '')}${more}`));
  }
  return `${lines.join('\n')}\n`;
}
