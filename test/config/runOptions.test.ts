import { describe, expect, it } from 'vitest';
import { loadRunConfig } from '../../src/config/loadRunConfig.js';
import {
  checkRunOptions,
  coerceOptionStrings,
  runConfigSchema,
  runOptionDefaults,
  runOptionHelp,
  runOptionKind,
  secretKeys,
  type RunOptionKey,
} from '../../src/config/runConfig.js';
import { ConfigError } from '../../src/errors.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { outputFormatNames, outputFormats } from '../../src/config/formats.js';
import { RetryBudget } from '../../src/pacing/retryBudget.js';
import { resolvePageStreamOptions } from '../../src/paging/pageStreamOptions.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { simPaging } from '../support/simPaging.js';

const required = { apiUrl: 'http://127.0.0.1:8080', bucket: 'lake', auth: 'none' } as const;
const now = new Date('2026-11-28T10:00:00Z');
const keys = Object.keys(runConfigSchema.shape) as RunOptionKey[];

async function problemsOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems.join('\n');
}

describe('one declaration per run option', () => {
  it('declares a help line for every option, and marks the secrets', () => {
    for (const key of keys) expect(runOptionHelp[key], key).toMatch(/\S/);
    expect([...secretKeys].sort()).toEqual(['password', 'token']);
  });

  it('knows which options are numbers and booleans (what flags and variables convert)', () => {
    expect(runOptionKind('pageSize')).toBe('number');
    expect(runOptionKind('maxRetryShare')).toBe('number');
    expect(runOptionKind('timeoutSeconds')).toBe('number');
    expect(runOptionKind('s3ForcePathStyle')).toBe('boolean');
    expect(runOptionKind('format')).toBe('text');
    expect(coerceOptionStrings({ pageSize: '250', s3ForcePathStyle: '0', prefix: '10', pageSizeTypo: '5', maxPages: 'many' })).toEqual({
      pageSize: 250,
      s3ForcePathStyle: false,
      prefix: '10',
      pageSizeTypo: '5',
      maxPages: 'many',
    });
  });

  it('reads the format enum from the one format module', () => {
    expect(runConfigSchema.shape.format.unwrap().options).toEqual(outputFormatNames);
    expect(Object.keys(outputFormats)).toEqual(['parquet', 'ndjson', 'csv', 'json']);
  });

  it('the page stream used on its own takes its defaults from the declaration, under the same names', () => {
    const resolved = resolvePageStreamOptions({ url: 'http://127.0.0.1:1/items', ...simPaging('page', 10) });
    expect(runOptionDefaults).toMatchObject({ maxWaitSeconds: 300, maxAttemptsPerPage: 8, maxPages: 1_000_000, maxRetryShare: 0.5 });
    expect(resolved).toMatchObject({
      maxWaitSeconds: runOptionDefaults.maxWaitSeconds,
      maxAttemptsPerPage: runOptionDefaults.maxAttemptsPerPage,
      maxPages: runOptionDefaults.maxPages,
      maxRetryShare: runOptionDefaults.maxRetryShare,
    });
    expect(resolved.timeoutSeconds).toBeUndefined();
    expect(resolved.deadlineSeconds).toBeUndefined();
    expect(new RetryBudget(new SimulatedClock(0)).maxRetryShare).toBe(runOptionDefaults.maxRetryShare);
  });

  it('validates the stream’s run options by the same rules as the run', () => {
    const checked = checkRunOptions(['maxRetryShare', 'timeoutSeconds', 'maxAttemptsPerPage'], {
      maxRetryShare: 3,
      timeoutSeconds: -1,
      maxAttemptsPerPage: 101,
    });
    expect(checked.values).toBeUndefined();
    expect(checked.problems.join('\n')).toMatch(/"maxRetryShare"/);
    expect(checked.problems.join('\n')).toMatch(/"timeoutSeconds"/);
    expect(checked.problems.join('\n')).toMatch(/"maxAttemptsPerPage"/);
    expect(() => resolvePageStreamOptions({ url: 'http://127.0.0.1:1/', ...simPaging('cursor'), maxWaitSeconds: 0 })).toThrow(
      /"maxWaitSeconds"/,
    );
  });
});

describe('exact options for the library, strings for the command line', () => {
  it('a bad value from plain JavaScript still gets a ConfigError naming each problem', async () => {
    const untyped: Record<string, unknown> = { ...required, pageSize: 'lots', s3ForcePathStyle: 'yes' };
    const text = await problemsOf(runIngestion(untyped as never));
    expect(text).toMatch(/^pageSize: /m);
    expect(text).toMatch(/^s3ForcePathStyle: /m);
  });

  it('the library does not convert strings: "100" is not a page size', async () => {
    const untyped: Record<string, unknown> = { ...required, pageSize: '100' };
    expect(await problemsOf(runIngestion(untyped as never))).toMatch(/^pageSize: /m);
  });

  it('flags, variables and config files still give strings, converted before validation', async () => {
    const config = await loadRunConfig({
      flags: { ...required, pageSize: '100', timeoutSeconds: '0.3' },
      env: { INGEST_S3_FORCE_PATH_STYLE: '1', INGEST_MAX_RETRY_SHARE: '0.25' },
      now,
    });
    expect(config).toMatchObject({ pageSize: 100, timeoutSeconds: 0.3, s3ForcePathStyle: true, maxRetryShare: 0.25 });
    expect(
      await problemsOf(loadRunConfig({ flags: { ...required, pageSize: 'lots' }, env: { INGEST_S3_FORCE_PATH_STYLE: 'yes' }, now })),
    ).toMatch(/pageSize: [\s\S]*s3ForcePathStyle: |s3ForcePathStyle: [\s\S]*pageSize: /);
  });
});
