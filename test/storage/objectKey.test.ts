import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  ingestDateOf,
  objectKeyProblems,
  partitionOf,
  renderKey,
  reportKey,
  reportKeyPattern,
  dayDataKeyPattern,
  dataKey,
  type KeyParts,
} from '../../src/storage/index.js';

const parts: KeyParts = { prefix: 'raw', dataset: 'customers', ingestDate: '2026-03-07', runId: '20260307T101500Z-ab12', ext: 'parquet' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('renderKey', () => {
  it.each([
    ['default template', parts, undefined, 'raw/customers/ingest_date=2026-03-07/customers_20260307T101500Z-ab12.parquet'],
    [
      'empty prefix drops its segment',
      { ...parts, prefix: '' },
      undefined,
      'customers/ingest_date=2026-03-07/customers_20260307T101500Z-ab12.parquet',
    ],
    [
      'prefix slashes are trimmed, inner ones kept',
      { ...parts, prefix: '/lake/raw/' },
      undefined,
      'lake/raw/customers/ingest_date=2026-03-07/customers_20260307T101500Z-ab12.parquet',
    ],
    ['date parts', parts, '{prefix}/{dataset}/{yyyy}/{mm}/{dd}/{run_id}.{ext}', 'raw/customers/2026/03/07/20260307T101500Z-ab12.parquet'],
    ['no prefix placeholder', parts, 'exports/{dataset}-{run_id}.{ext}', 'exports/customers-20260307T101500Z-ab12.parquet'],
  ] as const)('%s', (_name, input, template, expected) => {
    expect(renderKey(input, template)).toBe(expected);
  });

  it.each([
    ['unknown placeholder, named', '{prefix}/{datset}/{run_id}.{ext}', parts, /unknown placeholder \{datset\}/],
    ['unbalanced brace', '{prefix}/{dataset/{run_id}.{ext}', parts, /unknown placeholder|unbalanced/],
    ['no run id: runs would collide', '{prefix}/{dataset}.{ext}', parts, /must contain \{run_id\}/],
    ['leading slash', '/{dataset}/{run_id}.{ext}', parts, /must not start with "\/"/],
    ['dot-dot segment', '{prefix}/../{run_id}.{ext}', parts, /"\." or "\.\." segments/],
    ['double slash', '{prefix}//{run_id}.{ext}', parts, /must not contain "\/\/"/],
    ['trailing slash', '{prefix}/{run_id}/', parts, /must not end with "\/"/],
    ['run id with a slash', undefined, { ...parts, runId: 'a/b' }, /run_id "a\/b" must be/],
    ['dataset of dots', undefined, { ...parts, dataset: '..' }, /dataset "\.\." must be/],
    ['prefix with ..', undefined, { ...parts, prefix: 'raw/../etc' }, /prefix segment "\.\."/],
    ['not a date', undefined, { ...parts, ingestDate: '2026-02-30' }, /ingest_date "2026-02-30" must be a calendar date/],
    ['empty ext', undefined, { ...parts, ext: '' }, /ext "" must be/],
  ] as const)('rejects: %s', (_name, template, input, pattern) => {
    expect(problemsOf(() => renderKey(input, template)).join('\n')).toMatch(pattern);
  });

  it('lists every problem at once', () => {
    expect(problemsOf(() => renderKey({ ...parts, runId: '', ext: '.x' }, '{bogus}/{run_id}.{ext}'))).toHaveLength(3);
  });
});

describe('reportKey', () => {
  it('puts reports under _reports/, outside the data partition', () => {
    const data = renderKey(parts);
    const report = reportKey(parts);
    expect(report).toBe('raw/_reports/customers/ingest_date=2026-03-07/20260307T101500Z-ab12.report.json');
    expect(reportKey(parts, 'md')).toMatch(/\/20260307T101500Z-ab12\.report\.md$/);
    expect(reportKey(parts, 'html')).toMatch(/\/20260307T101500Z-ab12\.report\.html$/);
    expect(reportKey(parts, 'rejects')).toBe('raw/_reports/customers/ingest_date=2026-03-07/20260307T101500Z-ab12.rejects.ndjson');
    expect(report.startsWith(partitionOf(data))).toBe(false);
  });

  it('refuses a report template that lands inside the data partition', () => {
    expect(
      problemsOf(() => reportKey(parts, 'json', { template: '{prefix}/{dataset}/ingest_date={ingest_date}/{run_id}.{ext}' })).join(),
    ).toMatch(/inside the data partition/);
  });
});

describe('reportKeyPattern', () => {
  it("matches every run's JSON report of the dataset, and nothing else, under a prefix to list", () => {
    const where = reportKeyPattern({ prefix: 'raw', dataset: 'customers' });
    expect(where.listPrefix).toBe('raw/_reports/customers/ingest_date=');
    const other = { ...parts, ingestDate: '2027-01-31', runId: 'customers-2027-01-31' };
    expect(where.pattern.test(reportKey(parts))).toBe(true);
    expect(where.pattern.test(reportKey(other))).toBe(true);
    expect(where.pattern.test(reportKey(other, 'md'))).toBe(false);
    expect(where.pattern.test(reportKey(other, 'rejects'))).toBe(false);
    expect(where.pattern.test(reportKey({ ...other, dataset: 'customersX' }))).toBe(false);
    expect(where.pattern.test(reportKey({ ...other, prefix: '' }))).toBe(false);
  });

  it('lists from the start of a template that varies early', () => {
    const where = reportKeyPattern({ prefix: '', dataset: 'orders' }, 'json', 'reports/{yyyy}/{dataset}/{run_id}.{ext}');
    expect(where.listPrefix).toBe('reports/');
    expect(where.pattern.test('reports/2026/orders/r1.report.json')).toBe(true);
    expect(where.pattern.test('reports/2026/customers/r1.report.json')).toBe(false);
  });
});

describe('dataKey', () => {
  it('refuses a data file inside the folders the runs keep beside the data, under the prefix', () => {
    const data = { ...parts, ext: 'parquet' };
    expect(problemsOf(() => dataKey(data, '{prefix}/_schemas/{dataset}_{run_id}.{ext}'))).toEqual([
      `key template puts the data file at "raw/_schemas/customers_${parts.runId}.parquet", inside _schemas/, which holds the runs' schemas`,
    ]);
    expect(problemsOf(() => dataKey({ ...data, prefix: '' }, '{prefix}/_reports/{run_id}.{ext}')).join()).toMatch(/inside _reports\//);
    expect(dataKey(data, '{prefix}/{dataset}/_reports_{run_id}.{ext}')).toBe(`raw/customers/_reports_${parts.runId}.parquet`);
    expect(dataKey(data)).toBe(renderKey(data));
  });
});

describe('dayDataKeyPattern', () => {
  it("matches the dataset's data files of the day, of any run id and format, and nothing else", () => {
    const where = dayDataKeyPattern(parts)!;
    const day = { ...parts, runId: 'other-run', ext: 'csv' };
    expect(where.listPrefix).toBe(`raw/customers/ingest_date=${parts.ingestDate}/customers_`);
    expect(where.pattern.test(renderKey({ ...parts, ext: 'parquet' }))).toBe(true);
    expect(where.pattern.test(renderKey(day))).toBe(true);
    expect(where.pattern.test(renderKey({ ...day, ingestDate: '2027-01-31' }))).toBe(false);
    expect(where.pattern.test(renderKey({ ...day, dataset: 'orders' }))).toBe(false);
    expect(where.pattern.test(reportKey(parts))).toBe(false);
  });

  it('needs the day in the template: {ingest_date}, or {yyyy}, {mm} and {dd}', () => {
    expect(dayDataKeyPattern(parts, '{prefix}/{dataset}/{run_id}.{ext}')).toBeUndefined();
    expect(dayDataKeyPattern(parts, '{prefix}/{dataset}/{yyyy}/{mm}/{run_id}.{ext}')).toBeUndefined();
    const where = dayDataKeyPattern(parts, '{prefix}/{dataset}/{yyyy}/{mm}/{dd}/{run_id}.{ext}')!;
    expect(where.pattern.test(renderKey({ ...parts, ext: 'json' }, '{prefix}/{dataset}/{yyyy}/{mm}/{dd}/{run_id}.{ext}'))).toBe(true);
  });
});

describe('helpers', () => {
  it('ingestDateOf gives the UTC calendar date', () => {
    expect(ingestDateOf(Date.UTC(2026, 0, 31, 23, 59, 59))).toBe('2026-01-31');
    expect(ingestDateOf(Date.UTC(2026, 1, 1, 0, 0, 0))).toBe('2026-02-01');
  });

  it('partitionOf is the key up to its last slash', () => {
    expect(partitionOf('a/b=1/c.parquet')).toBe('a/b=1/');
    expect(partitionOf('c.parquet')).toBe('');
  });

  it('objectKeyProblems accepts a normal key and rejects control characters and oversize keys', () => {
    expect(objectKeyProblems('raw/x=1/y.parquet')).toEqual([]);
    expect(objectKeyProblems('raw/\u0001.parquet').join()).toMatch(/control characters/);
    expect(objectKeyProblems('a'.repeat(1025)).join()).toMatch(/longer than 1024 bytes/);
  });
});
