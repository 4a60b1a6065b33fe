import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/logging/redaction.js';
import { renderSourceMarkdown } from '../../src/report/renderSourceMarkdown.js';
import type { RunReport } from '../../src/report/runReport.js';
import { sourceRunReport, sourceStatus, type ResourceOutcome } from '../../src/report/sourceRunReport.js';
import { writeSourceReportFiles } from '../../src/report/writeSourceReportFiles.js';
import { cells, tables } from './markdownTables.js';
import { failedReport, sampleReport } from './sampleReport.js';

/** Three resources of one run: two delivered, started and finished apart, and one that failed. */
const customers: RunReport = {
  ...sampleReport,
  runId: 'shop-1',
  dataset: 'customers',
  secretsInRecords: { records: 5, masked: 5, fields: ['api_key'] },
};
const orders: RunReport = {
  ...sampleReport,
  runId: 'shop-1',
  dataset: 'orders',
  startedAt: '2026-01-01T05:59:00.000Z',
  finishedAt: '2026-01-01T06:01:00.000Z',
  pages: { staged: 7, skippedOnResume: 3 },
  records: {
    received: 700,
    unique: 690,
    duplicates: 6,
    withoutKey: 4,
    refused: 0,
    rejected: 2,
    conflicts: { kept: 'first', versions: 3, keys: 2, examples: [] },
  },
  requests: { ...sampleReport.requests, total: 9 },
  output: { ...sampleReport.output!, rows: 688 },
  delivery: {
    ...sampleReport.delivery!,
    uri: 's3://lake/orders/ingest_date=2026-01-01/orders_shop-1.parquet',
    reportUri: 's3://lake/_reports/orders/x.json',
  },
};
const invoices: RunReport = { ...failedReport, runId: 'shop-1', dataset: 'invoices', finishedAt: '2026-01-01T09:00:00.000Z' };
const outcomes: ResourceOutcome[] = [
  { report: customers, reportPath: 'data/reports/customers/shop-1.report.json' },
  { report: orders, reportPath: 'data/reports/orders/shop-1.report.json' },
  { report: invoices },
];

describe('the source run report', () => {
  it('sums the resources’ own figures and keeps them in the source’s order', () => {
    const report = sourceRunReport('shop-1', 'shop', outcomes);
    expect(report.resources.map((r) => r.dataset)).toEqual(['customers', 'orders', 'invoices']);
    expect(report.totals).toEqual({
      resources: 3,
      succeeded: 2,
      failed: 1,
      cancelled: 0,
      records: {
        received: 100_000 + 700 + 41_000,
        unique: 99_786 + 690 + 40_990,
        duplicates: 214 + 6 + 10,
        withoutKey: 0 + 4 + 0,
        refused: 0,
        rejected: 37 + 2 + 0,
      },
      conflictingVersions: 3,
      recordsWithSecrets: 5,
      rows: 99_749 + 688,
      pages: { staged: 100 + 7 + 41, skippedOnResume: 3 },
      requests: 114 + 9 + 114,
    });
    // The earliest start, the latest finish.
    expect(report.startedAt).toBe('2026-01-01T05:59:00.000Z');
    expect(report.finishedAt).toBe('2026-01-01T09:00:00.000Z');
    expect(report.durationMs).toBe(3 * 3_600_000 + 60_000);
  });

  it('gives each resource its status, object, report and error', () => {
    const [c, o, i] = sourceRunReport('shop-1', 'shop', outcomes).resources;
    expect(c).toMatchObject({
      status: 'succeeded',
      objectUri: sampleReport.delivery!.uri,
      report: { path: 'data/reports/customers/shop-1.report.json', uri: sampleReport.delivery!.reportUri },
    });
    expect(c).not.toHaveProperty('error');
    expect(o).toMatchObject({ rows: 688, requests: 9, pages: { staged: 7, skippedOnResume: 3 } });
    expect(i).toEqual({
      dataset: 'invoices',
      status: 'failed',
      error: failedReport.error,
      records: failedReport.records,
      conflictingVersions: 0,
      recordsWithSecrets: 0,
      rows: 0,
      pages: { staged: 41, skippedOnResume: 0 },
      requests: 114,
      report: {},
    });
  });

  it('is failed when any resource failed, naming it; cancelled only when none failed', () => {
    const failed = sourceRunReport('shop-1', 'shop', outcomes);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('1 of 3 resources failed: invoices');
    const cancelled: RunReport = { ...invoices, status: 'cancelled', error: 'stopped by SIGINT' };
    expect(sourceRunReport('shop-1', 'shop', [outcomes[0]!, { report: cancelled }])).toMatchObject({
      status: 'cancelled',
      error: '1 of 2 resources were cancelled: invoices',
    });
    const succeeded = sourceRunReport('shop-1', 'shop', outcomes.slice(0, 2));
    expect(succeeded.status).toBe('succeeded');
    expect(succeeded).not.toHaveProperty('error');
    expect(sourceStatus(['cancelled', 'failed', 'succeeded'])).toBe('failed');
    expect(sourceStatus([])).toBe('succeeded');
  });

  it('renders the verdict, a table of every resource with the totals, and a section per resource', () => {
    const markdown = renderSourceMarkdown(sourceRunReport('shop-1', 'shop', outcomes));
    expect(markdown).toMatch(
      /^# Source run report: shop\n\n\*\*Status: FAILED\*\*\n\n> \*\*Error:\*\* 1 of 3 resources failed: invoices\n/,
    );
    const table = tables(markdown)
      .find((t) => cells(t[0]!)[0] === 'Resource')!
      .map(cells);
    expect(table[0]).toEqual([
      'Resource',
      'Status',
      'Received',
      'Unique',
      'Duplicates',
      'No key',
      'Refused',
      'Rejected',
      'Conflicting versions',
      'With a secret',
      'Rows written',
      'Pages',
      'Requests',
    ]);
    expect(table.slice(2).map((row) => row.slice(0, 3))).toEqual([
      ['customers', 'SUCCEEDED', '100,000'],
      ['orders', 'SUCCEEDED', '700'],
      ['invoices', 'FAILED', '41,000'],
      ['**Total**', '', '**141,700**'],
    ]);
    expect(table.at(-1)!.slice(3)).toEqual([
      '**141,466**',
      '**230**',
      '**4**',
      '**0**',
      '**39**',
      '**3**',
      '**5**',
      '**100,437**',
      '**148**',
      '**237**',
    ]);
    // One section per resource, in order, each with its own error and where its files are.
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual(['## Resources', '## customers', '## orders', '## invoices']);
    const invoicesSection = markdown.slice(markdown.indexOf('## invoices'));
    expect(invoicesSection).toContain('**Status: FAILED**');
    expect(invoicesSection).toContain(`> **Error:** Page 42 kept failing with HTTP 503`);
    expect(invoicesSection).toMatch(/\| Data object \| not delivered \|/);
    expect(invoicesSection).toMatch(/\| Report \| not written \|/);
    expect(markdown).toContain('| Report | `data/reports/customers/shop-1.report.json` |');
    expect(markdown).toContain(`| Report in the store | \`${sampleReport.delivery!.reportUri}\` |`);
  });

  it('escapes what the API or the source brought in', () => {
    const odd: RunReport = { ...invoices, error: 'unexpected <b>body</b> | *starred* [link](x)\nsecond line' };
    const markdown = renderSourceMarkdown(sourceRunReport('shop-1', 'shop', [outcomes[0]!, { report: odd }]));
    expect(markdown).toContain('> **Error:** unexpected \\<b\\>body\\</b\\> \\| \\*starred\\* \\[link\\](x) second line');
  });
});

describe('writeSourceReportFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ingest-source-report-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the JSON in reading order and the Markdown, both scrubbed of secrets', async () => {
    const secret = 'hunter2-canary-secret';
    const secrets = new SecretRegistry();
    secrets.register(secret);
    const leaky: RunReport = { ...invoices, error: `login refused for ${secret}` };
    const report = sourceRunReport('shop-1', 'shop', [outcomes[0]!, { report: leaky }]);
    const dir = join(root, 'reports', 'shop');
    const files = await writeSourceReportFiles(report, dir, { secrets });
    expect(files).toEqual({ json: join(dir, 'shop-1.source.report.json'), markdown: join(dir, 'shop-1.source.report.md') });
    expect((await readdir(dir)).sort()).toEqual(['shop-1.source.report.json', 'shop-1.source.report.md']);
    const json = await readFile(files.json, 'utf8');
    const markdown = await readFile(files.markdown, 'utf8');
    for (const text of [json, markdown]) {
      expect(text).not.toContain(secret);
      expect(text).toContain('login refused for');
    }
    expect(Object.keys(JSON.parse(json) as object)).toEqual([
      'status',
      'error',
      'runId',
      'source',
      'startedAt',
      'finishedAt',
      'durationMs',
      'totals',
      'resources',
    ]);
    expect(JSON.parse(json)).toMatchObject({ status: 'failed', totals: report.totals });
    expect(markdown).toBe(renderSourceMarkdown(report, { secrets }));
  });
});
