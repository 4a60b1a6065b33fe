import { formatCount, formatDuration } from './format.js';
import { mdCell, mdTable, mdText } from './markdownEscape.js';
import { redactReport, type Redactor } from './redactReport.js';
import { MISSING_ERROR, type Fact } from './reportFacts.js';
import { factsTable } from './renderMarkdown.js';
import type { ResourceSection, SourceRunReport, SourceTotals } from './sourceRunReport.js';

const n = formatCount;

/** The columns of the totals table: one figure of a resource (or of the totals). */
const FIGURES: readonly (readonly [string, (s: ResourceSection | SourceTotals) => number])[] = [
  ['Received', (s) => s.records.received],
  ['Unique', (s) => s.records.unique],
  ['Duplicates', (s) => s.records.duplicates],
  ['No key', (s) => s.records.withoutKey],
  ['Refused', (s) => s.records.refused],
  ['Rejected', (s) => s.records.rejected],
  ['Conflicting versions', (s) => s.conflictingVersions],
  ['With a secret', (s) => s.recordsWithSecrets],
  ['Rows written', (s) => s.rows],
  ['Pages', (s) => s.pages.staged],
  ['Requests', (s) => s.requests],
];

/**
 * The source's run report as Markdown: the verdict (naming the resources that did not succeed),
 * the run, a table of every resource's figures with their totals, then one section per resource
 * with its error, its object and its own report.
 */
export function renderSourceMarkdown(input: SourceRunReport, options: { readonly secrets?: Redactor } = {}): string {
  const report = redactReport(input, options.secrets);
  const sections = [header(report), totalsSection(report), ...report.resources.map(resourceSection)];
  return `${sections.join('\n\n')}\n`;
}

function header(report: SourceRunReport): string {
  const { totals } = report;
  const lines = [`# Source run report: ${mdText(report.source)}`, '', `**Status: ${report.status.toUpperCase()}**`];
  if (report.status !== 'succeeded') lines.push('', `> **Error:** ${mdText(report.error ?? MISSING_ERROR)}`);
  const facts: Fact[] = [
    { label: 'Run id', value: report.runId, code: true },
    { label: 'Source', value: report.source },
    { label: 'Started', value: report.startedAt },
    { label: 'Finished', value: report.finishedAt },
    { label: 'Duration', value: `${formatDuration(report.durationMs)} (${n(report.durationMs)} ms)` },
    {
      label: 'Resources',
      value: `${n(totals.resources)} (${n(totals.succeeded)} succeeded, ${n(totals.failed)} failed, ${n(totals.cancelled)} cancelled)`,
    },
  ];
  lines.push('', factsTable(facts, 'Run'));
  return lines.join('\n');
}

function totalsSection(report: SourceRunReport): string {
  const rows = report.resources.map((r) => [mdCell(r.dataset), r.status.toUpperCase(), ...FIGURES.map(([, figure]) => n(figure(r)))]);
  rows.push(['**Total**', '', ...FIGURES.map(([, figure]) => `**${n(figure(report.totals))}**`)]);
  const table = mdTable(['Resource', 'Status', ...FIGURES.map(([label]) => label)], rows, ['l', 'l', ...FIGURES.map(() => 'r' as const)]);
  return `## Resources\n\n${table}`;
}

function resourceSection(resource: ResourceSection): string {
  const lines = [`## ${mdText(resource.dataset)}`, '', `**Status: ${resource.status.toUpperCase()}**`];
  if (resource.status !== 'succeeded') lines.push('', `> **Error:** ${mdText(resource.error ?? MISSING_ERROR)}`);
  const { records, pages, report } = resource;
  const facts: Fact[] = [
    { label: 'Records received', value: n(records.received) },
    { label: 'Unique records', value: n(records.unique) },
    { label: 'Duplicates (dropped)', value: n(records.duplicates) },
    { label: 'Without a key (kept aside, in the rejects)', value: n(records.withoutKey) },
    { label: 'Refused: beyond a limit or poison (kept aside, in the rejects)', value: n(records.refused) },
    { label: 'Rejected (kept aside)', value: n(records.rejected) },
    { label: 'Conflicting versions (dropped, in its report)', value: n(resource.conflictingVersions) },
    { label: 'Records holding a configured secret (in its report)', value: n(resource.recordsWithSecrets) },
    { label: 'Rows written', value: n(resource.rows) },
    { label: 'Pages staged', value: n(pages.staged) },
    { label: 'Pages skipped on resume', value: n(pages.skippedOnResume) },
    { label: 'Requests', value: n(resource.requests) },
    resource.objectUri !== undefined
      ? { label: 'Data object', value: resource.objectUri, code: true }
      : { label: 'Data object', value: 'not delivered' },
    report.path !== undefined ? { label: 'Report', value: report.path, code: true } : { label: 'Report', value: 'not written' },
    report.uri !== undefined
      ? { label: 'Report in the store', value: report.uri, code: true }
      : { label: 'Report in the store', value: 'not delivered' },
  ];
  lines.push('', factsTable(facts, resource.dataset));
  return lines.join('\n');
}
