import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/report/format.js';
import { renderHtml } from '../../src/report/renderHtml.js';
import type { RunReport } from '../../src/report/runReport.js';
import { failedReport, sampleReport } from './sampleReport.js';

const en = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

const VOID = new Set(['meta', 'br', 'link', 'img', 'hr', 'input', 'col', 'wbr', 'source', 'area', 'base']);

/** Checks that tags nest and close properly (a small tokenizer, enough for generated markup). */
function assertBalanced(page: string): void {
  const body = page.replace(/<style>[\s\S]*?<\/style>/, '<style></style>').replace(/^<!doctype html>/i, '');
  const stack: string[] = [];
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)\b[^<>]*?(\/?)>/g)) {
    const [, closing, rawName, selfClosing] = match;
    const name = rawName!.toLowerCase();
    if (VOID.has(name) || selfClosing === '/') continue;
    if (closing) {
      const open = stack.pop();
      expect(open, `</${name}> closes <${open}> at offset ${match.index}`).toBe(name);
    } else {
      stack.push(name);
    }
  }
  expect(stack, 'unclosed tags').toEqual([]);
  // No stray angle bracket outside a tag: every "<" starts a tag we tokenized.
  const leftover = body.replace(/<(\/?)([a-zA-Z][\w:-]*)\b[^<>]*?(\/?)>/g, '');
  expect(leftover).not.toMatch(/[<>]/);
}

/** The page's text as a reader sees it (tags removed, entities decoded). */
function visibleText(page: string): string {
  return page
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Appends `payload` to every string of the report, keys of the status maps included. */
function poison<T>(value: T, payload: string): T {
  if (typeof value === 'string') return `${value}${payload}` as T;
  if (Array.isArray(value)) return value.map((v: unknown) => poison(v, payload)) as T;
  if (value !== null && typeof value === 'object') {
    const isStatusMap = (key: string): boolean => key === 'byStatus' || key === 'retriesByStatus';
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        isStatusMap(k)
          ? Object.fromEntries(Object.entries(v as object).map(([s, n]) => [`${s}${payload}`, n]))
          : k === 'status' || k === 'transform'
            ? v
            : poison(v, payload),
      ]),
    ) as T;
  }
  return value;
}

describe('renderHtml', () => {
  const page = renderHtml(sampleReport);

  it('is one well-formed, self-contained page', () => {
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">/);
    for (const tag of ['<html', '<head>', '<body>', '<main>', '<style>', '<svg']) {
      expect(page.split(tag).length - 1, tag).toBe(1);
    }
    assertBalanced(page);
    expect(page).not.toMatch(/\bsrc=|\bhref=|url\(|@import|<script|<link/i);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`);
  });

  it('has every section with the sample figures', () => {
    for (const id of ['time', 'requests', 'records', 'throughput', 'output', 'delivery', 'quality', 'anomalies', 'query']) {
      expect(page, id).toContain(`<section id="${id}">`);
    }
    const text = visibleText(page);
    const { records, requests, output, delivery } = sampleReport;
    for (const figure of [
      'SUCCEEDED',
      sampleReport.runId,
      `Records received${en(records.received)}`,
      `Unique records${en(records.unique)}`,
      `Duplicates (dropped)${en(records.duplicates)}`,
      `Rejected (kept aside)${en(records.rejected)}`,
      `Consistent: received ${en(records.received)} = unique ${en(records.unique)}`,
      `Total${en(requests.total)}`,
      `Rate limited (429)${requests.rateLimited}`,
      `Total rate-limit pause${formatDuration(requests.rateLimitPauseMs)}`,
      output!.sha256,
      output!.checksum,
      `8.33 MiB (${en(output!.bytes)} bytes)`,
      delivery!.uri,
      delivery!.verifiedBy,
      'signup_dateDATE3',
      sampleReport.anomalies[0]!,
      `ingest query ${output!.path} "DESCRIBE data"`,
      `ingest query ${delivery!.uri} "SELECT count(*) AS rows FROM data"`,
    ]) {
      expect(text, figure).toContain(figure);
    }
    for (const [status, count] of Object.entries(requests.byStatus)) {
      const retries = requests.retriesByStatus[status] ?? 0;
      expect(page).toContain(`<tr><td>${status}</td><td class="num">${count}</td><td class="num">${retries}</td></tr>`);
    }
  });

  it("shows the dataset's schema changes and the fields under another name, when the run has them", () => {
    expect(page).not.toContain('<section id="schema">');
    expect(page).not.toContain('<section id="renamed">');
    const withNames = renderHtml({
      ...sampleReport,
      schema: { uri: 's3://lake/_schemas/customers.json', columns: [] },
      schemaChanges: [{ column: 'age__v_text', type: 'VARCHAR', change: 'variant', variantOf: 'age' }],
      renamedFields: [{ field: 'Email', column: 'Email__2', reason: 'column email has the name but for case' }],
    });
    assertBalanced(withNames);
    const text = visibleText(withNames);
    expect(text).toContain("Schema changesThe dataset's schema is kept in s3://lake/_schemas/customers.json.");
    expect(text).toContain('age__v_textVARCHARvalues of age that do not fit its type');
    expect(text).toContain('Fields under another name');
    expect(text).toContain('EmailEmail__2column email has the name but for case');
    const unchanged = renderHtml({ ...sampleReport, schema: { uri: 's3://lake/_schemas/customers.json', columns: [] }, schemaChanges: [] });
    expect(visibleText(unchanged)).toContain('No column was added: every value fits its column.');
  });

  it('draws the state timeline as a Gantt: a row per state, a bar per visit, as long as the visit', () => {
    const svg = /<figure id="chart-gantt">[\s\S]*?<\/figure>/.exec(page)![0];
    const bars = [...svg.matchAll(/<rect\s+x="([\d.]+)"\s+y="([\d.]+)"\s+width="([\d.]+)"/g)].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      w: Number(m[3]),
    }));
    const visits = sampleReport.timeline;
    const states = [...new Set(visits.map((v) => v.state))];
    // Visits closer than a pixel merge into one bar: never more bars than visits, at least one per state.
    expect(bars.length).toBeLessThanOrEqual(visits.length);
    const rows = [...new Set(bars.map((b) => b.y))].sort((a, b) => a - b);
    expect(rows).toHaveLength(states.length);
    for (const state of states) expect(svg).toContain(`>${state}</text>`);
    // Each row spans its state's time: the bars' widths keep the proportions of the time per state (within a pixel per gap bridged).
    const widths = rows.map((y) => bars.filter((b) => b.y === y).reduce((sum, b) => sum + b.w, 0));
    const totals = states.map((st) => visits.filter((v) => v.state === st).reduce((sum, v) => sum + v.durationMs, 0));
    const scale = widths[1]! / totals[1]!;
    widths.forEach((w, i) => expect(Math.abs(w - Math.max(1, totals[i]! * scale))).toBeLessThan(3));
  });

  it('marks numbers that do not add up as a failed check', () => {
    const broken = renderHtml({ ...sampleReport, records: { ...sampleReport.records, unique: 99_749 } });
    expect(broken).toContain(
      '<li class="warning">FAILED: does not add up: received 100,000 ≠ unique 99,749 + duplicates 214 + without a key 0 + refused 0 (37 records unaccounted for)</li>',
    );
    expect(page).not.toContain('does not add up');
  });

  it('shows the error of a failed run right after the verdict', () => {
    const failed = renderHtml(failedReport);
    assertBalanced(failed);
    const text = visibleText(failed);
    expect(text.indexOf('FAILED')).toBeLessThan(text.indexOf(`Error: ${failedReport.error!}`));
    expect(text.indexOf(`Error: ${failedReport.error!}`)).toBeLessThan(text.indexOf('Time per state'));
    expect(text).toContain('No output file was written.');
  });

  it('escapes every value: a <script> or an attribute break in the API data stays text', () => {
    const payloads = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '&lt;b&gt;'];
    for (const payload of payloads) {
      const hostile: RunReport = poison({ ...sampleReport, status: 'failed', error: 'boom' }, payload);
      const out = renderHtml(hostile);
      expect(out).not.toMatch(/<script|<img|<svg onload/i);
      assertBalanced(out);
      // The value is shown, not dropped: the reader sees exactly what the API sent.
      const text = visibleText(out);
      expect(text).toContain(`customers${payload}`);
      expect(text).toContain(`boom${payload}`);
      expect(text).toContain(`fetching${payload}`);
      expect(text).toContain(`200${payload}`);
    }
  });
});
