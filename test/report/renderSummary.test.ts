import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/renderSummary.js';
import type { RunReport } from '../../src/report/runReport.js';
import { failedReport, sampleReport } from './sampleReport.js';

const en = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

describe('renderSummary', () => {
  it('fits the run on 10 to 20 lines, succeeded or failed', () => {
    for (const report of [sampleReport, failedReport]) {
      const lines = renderSummary(report, { color: false }).trimEnd().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(10);
      expect(lines.length).toBeLessThanOrEqual(20);
    }
  });

  it('carries the verdict and the key figures', () => {
    const text = renderSummary(sampleReport, { color: false });
    const { records, requests, output, delivery } = sampleReport;
    expect(text.split('\n')[0]).toMatch(/^SUCCEEDED customers in 2m 12s/);
    for (const figure of [
      `${en(records.received)} received`,
      `${en(records.unique)} unique`,
      `${en(records.duplicates)} duplicates`,
      `${en(records.rejected)} rejected`,
      `requests  ${en(requests.total)} (200×100 401×1 429×2 500×7 503×3 timeout×1)`,
      `retries   ${en(requests.retries)}`,
      `${requests.rateLimited} × 429 (paused 6.5 s)`,
      '1 token refresh',
      `${en(output!.rows)} rows, 8.33 MiB`,
      output!.sha256,
      `uploaded ${delivery!.uri}`,
      'email 181 (not an email address)',
      `anomalies 1: ${sampleReport.anomalies[0]}`,
      'staging   parse 1.8 s, append 3.1 s, checkpoints 96 ms, commit 730 ms (212 transactions)',
    ]) {
      expect(text).toContain(figure);
    }
  });

  it('leads a failed run with the verdict and its error sentence', () => {
    const lines = renderSummary(failedReport, { color: false }).split('\n');
    expect(lines[0]).toMatch(/^FAILED /);
    expect(lines[1]).toBe(`error     ${failedReport.error!}`);
  });

  it('has no escape code at all without colour, even when a value carries one', () => {
    const hostile: RunReport = { ...failedReport, error: 'boom \x1b[2J\x1b[31mred\x07', dataset: 'cust\x1b]0;title\x07omers' };
    const plain = renderSummary(hostile, { color: false });
    expect(plain).not.toContain('\x1b');
    expect(plain).not.toContain('\x07');
    expect(plain).toContain('boom \\x1b[2J\\x1b[31mred\\x07');
  });

  it('colours only when asked, and the coloured text says the same thing', () => {
    for (const report of [sampleReport, failedReport]) {
      const plain = renderSummary(report, { color: false });
      const coloured = renderSummary(report, { color: true });
      expect(coloured).toContain('\x1b[');
      expect(stripAnsi(coloured)).toBe(plain);
    }
    expect(renderSummary(sampleReport, { color: true })).toContain('\x1b[32m\x1b[1mSUCCEEDED');
    expect(renderSummary(failedReport, { color: true })).toContain('\x1b[31m\x1b[1mFAILED');
  });

  it('shows a failed check when the numbers do not add up', () => {
    const broken = { ...sampleReport, records: { ...sampleReport.records, unique: sampleReport.records.unique + 1 } };
    const text = renderSummary(broken, { color: false });
    expect(text).toContain(
      'FAILED    does not add up: received 100,000 ≠ unique 99,787 + duplicates 214 + without a key 0 + refused 0 (1 record counted twice)',
    );
    expect(text).toContain('FAILED    does not add up: rows in the file 99,749 + rejected 37 ≠ unique 99,787');
    expect(renderSummary(sampleReport, { color: false })).not.toContain('does not add up');
  });
});
