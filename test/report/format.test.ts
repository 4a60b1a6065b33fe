import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../src/report/checkConsistency.js';
import { duckdbReader, duckdbSnippet } from '../../src/report/duckdbSnippet.js';
import { compareStatusKeys, formatBytes, formatCount, formatDuration, formatPercent, neutralizeControls } from '../../src/report/format.js';
import { mdCode, mdCodeBlock, mdText } from '../../src/report/markdownEscape.js';
import { timeByState, timelineExcerpt } from '../../src/report/timeline.js';
import { failedReport, sampleReport } from './sampleReport.js';

describe('formatting', () => {
  it.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1234567.8, '1,234,568'],
    [-1234, '-1,234'],
    [-0.2, '0'],
  ])('formatCount(%d) = %s', (n, text) => expect(formatCount(n)).toBe(text));

  it('formats fractions with grouping', () => expect(formatCount(12345.678, 1)).toBe('12,345.7'));

  it.each([
    [0, '0 B'],
    [1023, '1,023 B'],
    [1024, '1.00 KiB'],
    [8_734_112, '8.33 MiB'],
    [1024 ** 3 * 12.5, '12.5 GiB'],
  ])('formatBytes(%d) = %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it.each([
    [0, '0 ms'],
    [450, '450 ms'],
    [12_345, '12.3 s'],
    [59_999, '60.0 s'],
    [60_000, '1m 00s'],
    [3_723_000, '1h 02m 03s'],
  ])('formatDuration(%d) = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('keeps small shares visible', () => {
    expect(formatPercent(12, 99_749)).toBe('0.01%');
    expect(formatPercent(1, 2)).toBe('50.0%');
    expect(formatPercent(0, 10)).toBe('0.0%');
    expect(formatPercent(1, 0)).toBe('–');
  });

  it('orders HTTP statuses numerically before named outcomes', () => {
    expect(['timeout', '503', 'network', '1000', '200', '429'].sort(compareStatusKeys)).toEqual([
      '200',
      '429',
      '503',
      '1000',
      'network',
      'timeout',
    ]);
  });

  it('makes control characters visible instead of letting them act', () => {
    expect(neutralizeControls('a\x1b[31mb\x07c\x9bd\ne\tf')).toBe('a\\x1b[31mb\\x07c\\x9bd⏎e f');
  });
});

describe('markdown escaping', () => {
  it('escapes markup but keeps in-word underscores readable', () => {
    expect(mdText('total_records *x* _y_ [l](u) <b> a|b #1 & !')).toBe(
      'total_records \\*x\\* \\_y\\_ \\[l\\](u) \\<b\\> a\\|b \\#1 \\& \\!',
    );
  });

  it('fences code spans longer than the backtick runs inside', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    expect(mdCode('a|b', { inTable: true })).toBe('`a\\|b`');
    expect(mdCode('')).toBe('*(empty)*');
    expect(mdCodeBlock(['echo ```'], 'sh')).toBe('````sh\necho ```\n````');
  });
});

describe('report facts', () => {
  it('aggregates time per state in order of first entry, with shares summing to 1', () => {
    const perState = timeByState(sampleReport.timeline);
    expect(perState.map((s) => s.state)).toEqual([
      'authenticating',
      'fetching',
      'backingOff',
      'refreshingToken',
      'writing',
      'uploading',
      'reporting',
    ]);
    expect(perState.reduce((sum, s) => sum + s.share, 0)).toBeCloseTo(1, 10);
    expect(perState.reduce((sum, s) => sum + s.totalMs, 0)).toBe(sampleReport.durationMs);
    expect(perState.find((s) => s.state === 'backingOff')).toMatchObject({ totalMs: 6500, visits: 2 });
    expect(timeByState([])).toEqual([]);
  });

  it('keeps both ends of a long timeline', () => {
    const timeline = Array.from({ length: 11 }, (_, i) => ({ state: `s${i}`, enteredAt: '', durationMs: 1 }));
    const excerpt = timelineExcerpt(timeline, 4);
    expect(excerpt.head.map((v) => v.index)).toEqual([1, 2]);
    expect(excerpt.omitted).toBe(7);
    expect(excerpt.tail.map((v) => v.index)).toEqual([10, 11]);
  });

  it("checks records, the pages' records, file rows and pages, but pages only for a finished run", () => {
    expect(checkConsistency(sampleReport).map((c) => [c.name, c.ok])).toEqual([
      ['records', true],
      ['pageRecords', true],
      ['outputRows', true],
      ['pages', true],
    ]);
    expect(checkConsistency(failedReport).map((c) => c.name)).toEqual(['records', 'pageRecords']);
    // A page staged twice or in part: the records staged are not those its checkpoint row counted.
    const torn = { ...sampleReport, pages: { ...sampleReport.pages, records: sampleReport.records.received - 1 } };
    expect(checkConsistency(torn).find((c) => c.name === 'pageRecords')).toMatchObject({
      ok: false,
      detail: 'received 100,000 ≠ records the staged pages held 99,999',
    });
    // A report built without the staged records has nothing to check it against.
    const { records: _held, ...unread } = sampleReport.pages;
    expect(checkConsistency({ ...sampleReport, pages: unread }).map((c) => c.name)).not.toContain('pageRecords');
    const resumed = { ...sampleReport, pages: { staged: 60, skippedOnResume: 40, total: 100 } };
    expect(checkConsistency(resumed).every((c) => c.ok)).toBe(true);
    const short = { ...sampleReport, pages: { staged: 98, skippedOnResume: 0, total: 100 } };
    expect(checkConsistency(short).find((c) => c.name === 'pages')).toMatchObject({ ok: false });
    // The empty page past the end that a resumed run asks for again is not a missing page.
    const pastTheEnd = { ...sampleReport, pages: { staged: 1, skippedOnResume: 21, total: 20 } };
    expect(checkConsistency(pastTheEnd).find((c) => c.name === 'pages')).toMatchObject({ ok: true });
  });

  it.each([
    ['parquet', "read_parquet('f')"],
    ['ndjson', "read_json('f', format = 'newline_delimited')"],
    ['json', "read_json('f', format = 'array')"],
    ['csv', "read_csv('f', allow_quoted_nulls = false)"],
    ['avro', "'f'"],
  ])('reads %s with %s', (format, reader) => expect(duckdbReader(format, 'f')).toBe(reader));

  it('offers no query without an output file, and no S3 query without a delivery', () => {
    expect(duckdbSnippet(failedReport)).toMatchObject({ local: [], s3: [] });
    const { delivery: _delivery, ...undelivered } = sampleReport;
    const snippet = duckdbSnippet(undelivered);
    expect(snippet.local).toHaveLength(2);
    expect(snippet.s3).toEqual([]);
    expect(snippet.notes.join(' ')).not.toContain('s3://');
  });
});
