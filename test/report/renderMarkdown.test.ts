import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/report/format.js';
import { renderMarkdown } from '../../src/report/renderMarkdown.js';
import type { RunReport } from '../../src/report/runReport.js';
import { cells, row, tables } from './markdownTables.js';
import { failedReport, sampleReport } from './sampleReport.js';

const en = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleReport);

  it('has every section, in reading order', () => {
    const headings = [
      '# Run report: customers',
      '## Time per state',
      '### Timeline',
      '## Requests',
      '## Pages and records',
      '## Throughput',
      '## Output',
      '## Delivery',
      '## Data quality',
      '## Anomalies',
      '## Query it',
    ];
    const positions = headings.map((h) => md.split('\n').indexOf(h));
    expect(
      positions.every((p) => p >= 0),
      `missing: ${headings.filter((_, i) => positions[i]! < 0).join(', ')}`,
    ).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(md).toContain('**Status: SUCCEEDED**');
    expect(md).not.toContain('Error:');
  });

  it('shows the run identity and times', () => {
    expect(row(md, 'Run id')?.[1]).toBe(`\`${sampleReport.runId}\``);
    expect(row(md, 'Endpoint')?.[1]).toBe(`\`${sampleReport.endpoint}\``);
    expect(row(md, 'Started')?.[1]).toBe(sampleReport.startedAt);
    expect(row(md, 'Finished')?.[1]).toBe(sampleReport.finishedAt);
    expect(row(md, 'Duration')?.[1]).toContain(`${en(sampleReport.durationMs)} ms`);
  });

  it('aggregates time per state and lists every visit in order', () => {
    const fetching = sampleReport.timeline.filter((v) => v.state === 'fetching');
    const fetchingMs = fetching.reduce((s, v) => s + v.durationMs, 0);
    const total = sampleReport.timeline.reduce((s, v) => s + v.durationMs, 0);
    expect(row(md, 'fetching')).toEqual([
      'fetching',
      formatDuration(fetchingMs),
      `${((fetchingMs / total) * 100).toFixed(1)}%`,
      String(fetching.length),
    ]);
    const timeline = tables(md).find((t) => cells(t[0]!)[0] === '#')!;
    const listed = timeline.slice(2).map((line) => cells(line));
    expect(listed.map((c) => c[1])).toEqual(sampleReport.timeline.map((v) => v.state));
    expect(listed.map((c) => c[2])).toEqual(sampleReport.timeline.map((v) => v.enteredAt));
  });

  it('cuts the middle of a very long timeline and says how much', () => {
    const timeline = Array.from({ length: 500 }, (_, i) => ({
      state: i % 2 ? 'backingOff' : 'fetching',
      enteredAt: `t${i}`,
      durationMs: 10,
    }));
    const long = renderMarkdown({ ...sampleReport, timeline });
    expect(long).toContain('460 visits omitted');
    expect(row(long, 'fetching')?.[3]).toBe('250');
    expect(long).toContain('| t0 |');
    expect(long).toContain('| t499 |');
  });

  it('says where the rate started: learning the limit, the configured one, or a pace remembered; nothing in an older report', () => {
    const at = (pace: RunReport['requests']['pace']): string | undefined => {
      const { pace: _sample, ...requests } = sampleReport.requests;
      return row(renderMarkdown({ ...sampleReport, requests: { ...requests, ...(pace && { pace }) } }), 'Rate at start')?.[1];
    };
    expect(at({ from: 'slowStart', rate: 2 })).toBe("2.00 req/s, learning the API's limit (slow start)");
    expect(at({ from: 'configured', rate: 190 })).toBe('190 req/s, from the configured rateLimit');
    expect(at({ from: 'remembered', rate: 1234.5 })).toBe('1,235 req/s, from the pace a run learned from this API (rememberPace)');
    expect(at(undefined)).toBeUndefined();
  });

  it('reports requests, retries and 429s by status', () => {
    const r = sampleReport.requests;
    expect(row(md, 'Total')?.[1]).toBe(en(r.total));
    expect(row(md, 'Retries')?.[1]).toBe(en(r.retries));
    expect(row(md, 'Rate limited (429)')?.[1]).toBe(en(r.rateLimited));
    expect(row(md, 'Total rate-limit pause')?.[1]).toBe(formatDuration(r.rateLimitPauseMs));
    expect(row(md, 'Rate at start')?.[1]).toBe('9.50 req/s, from the pace a run learned from this API on 2026-01-01 (rememberPace)');
    expect(row(md, 'Token refreshes')?.[1]).toBe(en(r.tokenRefreshes));
    for (const [status, count] of Object.entries(r.byStatus)) {
      expect(row(md, status)).toEqual([status, en(count), en(r.retriesByStatus[status] ?? 0)]);
    }
    const order = tables(md)
      .find((t) => cells(t[0]!)[0] === 'Status')!
      .slice(2)
      .map((line) => cells(line)[0]);
    expect(order).toEqual(['200', '401', '429', '500', '503', 'timeout']);
  });

  it('reports pages and records with a consistency line', () => {
    const { pages, records } = sampleReport;
    expect(row(md, 'Pages staged')?.[1]).toBe(en(pages.staged));
    expect(row(md, 'Records received')?.[1]).toBe(en(records.received));
    expect(row(md, 'Unique records')?.[1]).toBe(en(records.unique));
    expect(row(md, 'Duplicates (dropped)')?.[1]).toBe(en(records.duplicates));
    expect(row(md, 'Rejected (kept aside)')?.[1]).toBe(en(records.rejected));
    expect(md).toContain(
      `Consistent: received ${en(records.received)} = unique ${en(records.unique)} + duplicates ${en(records.duplicates)} + without a key ${en(records.withoutKey)} + refused ${en(records.refused)}`,
    );
    expect(md).not.toContain('WARNING');
  });

  it('marks record counts that do not add up as a failed check', () => {
    const broken: RunReport = { ...sampleReport, records: { ...sampleReport.records, duplicates: sampleReport.records.duplicates - 5 } };
    const out = renderMarkdown(broken);
    expect(out).toMatch(/\*\*FAILED: does not add up:\*\* received 100,000 ≠ unique .* \(5 records unaccounted for\)/);
    // The file rows still add up to the unique records: exactly one failed check, the records one.
    expect(out.match(/FAILED: does not add up/g)).toHaveLength(1);
    const doubled = renderMarkdown({ ...sampleReport, records: { ...sampleReport.records, withoutKey: 3 } });
    expect(doubled).toContain('(3 records counted twice)');
  });

  it('marks file rows and rejects that do not make the unique records as a failed check', () => {
    const out = renderMarkdown({ ...sampleReport, output: { ...sampleReport.output!, rows: 99_700 } });
    expect(out).toContain('**FAILED: does not add up:** rows in the file 99,700 + rejected 37 ≠ unique 99,786');
  });

  it('shows throughput, output, delivery, quality and anomalies', () => {
    const o = sampleReport.output!;
    expect(md).toContain(`| Records per second | ${sampleReport.throughput.recordsPerSecond.toFixed(1)} |`);
    expect(row(md, 'Parsing page bodies')?.[1]).toBe('1.8 s');
    expect(row(md, 'Staging records (checks and appends)')?.[1]).toBe('3.1 s');
    expect(row(md, 'Appending page checkpoints')?.[1]).toBe('96 ms');
    expect(row(md, 'Committing')?.[1]).toBe('730 ms (212 transactions)');
    expect(row(md, 'Format')?.[1]).toBe('parquet');
    expect(row(md, 'Transform')?.[1]).toBe('clean (ETL)');
    expect(row(md, 'Path')?.[1]).toBe(`\`${o.path}\``);
    expect(row(md, 'Rows')?.[1]).toBe(en(o.rows));
    expect(row(md, 'Size')?.[1]).toBe(`8.33 MiB (${en(o.bytes)} bytes)`);
    expect(row(md, 'SHA-256')?.[1]).toBe(`\`${o.sha256}\``);
    expect(row(md, 'Checksum')?.[1]).toBe(`\`${o.checksum}\``);
    expect(row(md, 'S3 URI')?.[1]).toBe(`\`${sampleReport.delivery!.uri}\``);
    expect(row(md, 'Verified by')?.[1]).toBe(sampleReport.delivery!.verifiedBy);
    for (const q of sampleReport.quality) {
      const c = row(md, `\`${q.column}\``);
      expect(c?.slice(1)).toEqual([q.type, en(q.nulls), expect.stringMatching(/%$/), en(q.invalid), q.invalidRule ?? '–']);
    }
    expect(row(md, '`email`')?.[3]).toBe('0.01%');
    expect(md).toContain(`- ${sampleReport.anomalies[0]}`);
  });

  it('gives `ingest query` commands (DuckDB built in, no DuckDB CLI) for the local file and the S3 object', () => {
    expect(md).toContain(`ingest query ${sampleReport.output!.path}\ningest query ${sampleReport.output!.path} "DESCRIBE data"`);
    expect(md).toContain(`ingest query ${sampleReport.delivery!.uri} "SELECT count(*) AS rows FROM data"`);
    expect(md).toContain('--s3-endpoint URL --s3-force-path-style');
    expect(md).not.toMatch(/duckdb -c|httpfs/);
  });

  it('quotes paths for the shell in the query snippet', () => {
    const out = renderMarkdown({ ...sampleReport, output: { ...sampleReport.output!, format: 'csv', path: `data/o'brien/$HOME "x".csv` } });
    expect(out).toContain(`ingest query 'data/o'\\''brien/$HOME "x".csv' "DESCRIBE data"`);
  });

  it('puts the status and the error sentence first when the run failed', () => {
    const out = renderMarkdown(failedReport);
    const lines = out.split('\n');
    expect(lines.indexOf('**Status: FAILED**')).toBeLessThan(lines.findIndex((l) => l.startsWith('> **Error:**')));
    expect(lines.findIndex((l) => l.startsWith('> **Error:**'))).toBeLessThan(lines.indexOf('## Time per state'));
    expect(out).toContain(`> **Error:** ${failedReport.error!}`);
    expect(out).toContain('No output file was written.');
    expect(out).toContain('Not delivered.');
  });

  it('escapes pipes and newlines so a value cannot break a table or the page', () => {
    const nasty = 'a | b\nc <script>alert(1)</script> *x* `y`';
    const report: RunReport = {
      ...sampleReport,
      dataset: nasty,
      timeline: [{ state: 'fetch|ing\nnow', enteredAt: 'x|y', durationMs: 5 }],
      requests: { ...sampleReport.requests, byStatus: { 'net|work\nerr': 3 } },
      output: { ...sampleReport.output!, path: 'out/a|b\nc`d.parquet' },
      delivery: { ...sampleReport.delivery!, verifiedBy: 'head|object\nok' },
      quality: [{ column: 'e|mail', type: 'VAR\nCHAR', nulls: 1, invalid: 2, invalidRule: 'not | an\nemail' }],
      anomalies: [nasty],
    };
    const out = renderMarkdown(report);
    for (const table of tables(out)) {
      const width = cells(table[0]!).length;
      for (const line of table) expect(cells(line), line).toHaveLength(width);
    }
    // No value's second line escaped its cell or list item.
    for (const orphan of ['c <script>', 'now |', 'c`d', 'ok |', 'CHAR |', 'email |']) {
      expect(
        out.split('\n').some((l) => l.startsWith(orphan)),
        orphan,
      ).toBe(false);
    }
    expect(out).not.toContain('<script>');
    expect(out).toContain('\\<script\\>');
    expect(row(out, 'Verified by')?.[1]).toBe('head\\|object<br>ok');
    expect(row(out, 'Path')?.[1]).toBe('``out/a\\|b c`d.parquet``');
    expect(out).toContain('- a \\| b c \\<script\\>alert(1)\\</script\\> \\*x\\* \\`y\\`');
  });
});
