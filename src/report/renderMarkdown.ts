import { checkConsistency } from './checkConsistency.js';
import { duckdbSnippet } from './duckdbSnippet.js';
import { formatCount, formatDuration, formatPercent } from './format.js';
import { mdCell, mdCode, mdCodeBlock, mdTable, mdText } from './markdownEscape.js';
import { redactReport, type Redactor } from './redactReport.js';
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
import type { RenamedField, RunReport, SchemaChange } from './runReport.js';
import { timeByState, timelineExcerpt } from './timeline.js';

export interface RenderOptions {
  /** Secret values to scrub from every string; defaults to the process-wide registry. */
  readonly secrets?: Redactor;
}

/**
 * The execution report as Markdown, in the order a data engineer reads it: the verdict (and
 * the one actionable sentence if the run failed), then what happened, then how to check it.
 */
export function renderMarkdown(input: RunReport, options: RenderOptions = {}): string {
  const report = redactReport(input, options.secrets);
  const sections = [
    header(report),
    timeSection(report),
    requestsSection(report),
    recordsSection(report),
    factsSection('Throughput', throughputFacts(report)),
    factsSection('Output', outputFacts(report), 'No output file was written.'),
    factsSection('Delivery', deliveryFacts(report), 'Not delivered.'),
    qualitySection(report),
    ...(report.schema ? [schemaSection(report.schema.uri, report.schemaChanges ?? [])] : []),
    ...(report.renamedFields ? [renamedSection(report.renamedFields)] : []),
    anomaliesSection(report),
    querySection(report),
  ];
  return `${sections.join('\n\n')}\n`;
}

/** Facts as a two-column table under `heading`; right-aligned when every value is a number. */
export function factsTable(facts: readonly Fact[], heading: string): string {
  const align = facts.every((f) => f.num === true) ? (['l', 'r'] as const) : undefined;
  return mdTable(
    [mdCell(heading), ''],
    facts.map((f) => [mdCell(f.label), f.code === true ? mdCode(f.value, { inTable: true }) : mdCell(f.value)]),
    align,
  );
}

function factsSection(title: string, facts: readonly Fact[] | undefined, absent = ''): string {
  return facts ? `## ${title}\n\n${factsTable(facts, title)}` : `## ${title}\n\n${absent}`;
}

function header(report: RunReport): string {
  const verdict = report.status.toUpperCase();
  const lines = [`# Run report: ${mdText(report.dataset)}`, '', `**Status: ${verdict}**`];
  if (report.status !== 'succeeded') lines.push('', `> **Error:** ${mdText(report.error ?? MISSING_ERROR)}`);
  lines.push('', factsTable(runFacts(report), 'Run'));
  return lines.join('\n');
}

function timeSection(report: RunReport): string {
  const lines = ['## Time per state'];
  if (report.timeline.length === 0) return [...lines, '', 'No state was recorded.'].join('\n');
  lines.push(
    '',
    mdTable(
      ['State', 'Time', 'Share', 'Visits'],
      timeByState(report.timeline).map((s) => [
        mdCell(s.state),
        formatDuration(s.totalMs),
        formatPercent(s.share, 1),
        formatCount(s.visits),
      ]),
      ['l', 'r', 'r', 'r'],
    ),
  );
  const excerpt = timelineExcerpt(report.timeline);
  const row = (v: (typeof excerpt.head)[number]): string[] => [
    String(v.index),
    mdCell(v.state),
    mdCell(v.enteredAt),
    formatDuration(v.durationMs),
  ];
  const rows = excerpt.head.map(row);
  if (excerpt.omitted > 0) rows.push(['…', `*${formatCount(excerpt.omitted)} visits omitted (all are in the JSON report)*`, '', '']);
  rows.push(...excerpt.tail.map(row));
  lines.push('', '### Timeline', '', mdTable(['#', 'State', 'Entered at', 'Duration'], rows, ['r', 'l', 'l', 'r']));
  return lines.join('\n');
}

function requestsSection(report: RunReport): string {
  const lines = ['## Requests', '', factsTable(requestFacts(report), 'Requests')];
  const statuses = statusRows(report);
  if (statuses.length > 0) {
    lines.push(
      '',
      mdTable(
        ['Status', 'Responses', 'Retries'],
        statuses.map((s) => [mdCell(s.status), s.responses, s.retries]),
        ['l', 'r', 'r'],
      ),
    );
  }
  return lines.join('\n');
}

function recordsSection(report: RunReport): string {
  const checks = checkConsistency(report).map((c) =>
    c.ok ? `- Consistent: ${mdText(c.detail)}` : `- **FAILED: does not add up:** ${mdText(c.detail)}`,
  );
  return ['## Pages and records', '', factsTable(recordFacts(report), 'Pages and records'), '', ...checks].join('\n');
}

function qualitySection(report: RunReport): string {
  const rows = qualityRows(report);
  if (rows.length === 0) return '## Data quality\n\nNo column statistics were collected.';
  return [
    '## Data quality',
    '',
    mdTable(
      ['Column', 'Type', 'Nulls', 'Null %', 'Invalid', 'Rule'],
      rows.map((q) => [mdCode(q.column, { inTable: true }), mdCell(q.type), q.nulls, q.nullShare, q.invalid, mdCell(q.rule)]),
      ['l', 'l', 'r', 'r', 'r', 'l'],
    ),
  ].join('\n');
}

function schemaSection(uri: string, changes: readonly SchemaChange[]): string {
  const lines = ['## Schema changes', '', `The dataset's schema is kept in ${mdCode(uri)}.`];
  if (changes.length === 0) return [...lines, 'No column was added: every value fits its column.'].join('\n');
  const what = (c: SchemaChange): string =>
    c.variantOf === undefined ? 'new field' : `values of ${mdCode(c.variantOf, { inTable: true })} that do not fit its type`;
  lines.push(
    '',
    mdTable(
      ['Column', 'Type', 'Added for'],
      changes.map((c) => [mdCode(c.column, { inTable: true }), mdCell(c.type), what(c)]),
    ),
  );
  return lines.join('\n');
}

/** The fields written under another name: a reader looks for them there (docs/reliability.md, "Field names are data"). */
function renamedSection(renamed: readonly RenamedField[]): string {
  return [
    '## Fields under another name',
    '',
    'These record fields are in the file under another column name, their own being taken:',
    '',
    mdTable(
      ['Field', 'Column', 'Why'],
      renamed.map((r) => [mdCode(r.field, { inTable: true }), mdCode(r.column, { inTable: true }), mdCell(r.reason)]),
    ),
  ].join('\n');
}

function anomaliesSection(report: RunReport): string {
  if (report.anomalies.length === 0) return '## Anomalies\n\nNone.';
  return ['## Anomalies', '', ...report.anomalies.map((a) => `- ${mdText(a)}`)].join('\n');
}

function querySection(report: RunReport): string {
  const snippet = duckdbSnippet(report);
  const lines = ['## Query it'];
  if (snippet.local.length > 0) lines.push('', 'The local file, with DuckDB:', '', mdCodeBlock(snippet.local, 'sh'));
  if (snippet.s3.length > 0) lines.push('', 'The delivered object:', '', mdCodeBlock(snippet.s3, 'sh'));
  lines.push('', ...snippet.notes.map((note) => `- ${mdText(note)}`));
  return lines.join('\n');
}
