import { describe, expectTypeOf, it } from 'vitest';
import type { RunOptions } from '../../src/config/runConfig.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';

// Checked by `tsc --noEmit` (npm test runs it first): each `@ts-expect-error` must meet an error.
const required = { apiUrl: 'http://127.0.0.1:8080', bucket: 'lake' } as const;

/** Never called: the calls only need to type-check, or not. */
export function libraryCalls(): void {
  void runIngestion({ ...required, pageSize: 100, s3ForcePathStyle: true, maxWaitSeconds: 60, format: 'csv' });
  // @ts-expect-error a page size is a number, not a string
  void runIngestion({ ...required, pageSize: 'lots' });
  // @ts-expect-error not even a numeric string: only flags, variables and files are converted
  void runIngestion({ ...required, pageSize: '100' });
  // @ts-expect-error path style is a boolean
  void runIngestion({ ...required, s3ForcePathStyle: 'yes' });
  // @ts-expect-error no such format
  void runIngestion({ ...required, format: 'xlsx' });
  // @ts-expect-error no such option
  void runIngestion({ ...required, maxWaitMs: 1000 });
}

describe('the library option type', () => {
  it('types every option exactly: none is unknown or any', () => {
    type Loose = { [K in keyof RunOptions]-?: unknown extends RunOptions[K] ? K : never }[keyof RunOptions];
    expectTypeOf<Loose>().toEqualTypeOf<never>();
    expectTypeOf<RunOptions['pageSize']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RunOptions['maxRetryShare']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RunOptions['s3ForcePathStyle']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<RunOptions['format']>().toEqualTypeOf<'parquet' | 'ndjson' | 'csv' | 'json' | undefined>();
    expectTypeOf<RunOptions['apiUrl']>().toEqualTypeOf<string | undefined>();
    expectTypeOf(runIngestion).parameter(0).toEqualTypeOf<RunOptions>();
  });
});
