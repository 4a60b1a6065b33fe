import { describe, expect, it } from 'vitest';
import { shorthandPaginator } from '../../src/config/shorthandSource.js';
import { optionDifferences } from '../../src/staging/runState.js';

/** The paginator as the run stores it among its options: the JSON text of the object. */
const stored = (paginator: object): string => JSON.stringify(paginator);

describe('optionDifferences: a refused resume names each option as a user sets it', () => {
  it('names a flag by its flag', () => {
    expect(optionDifferences({ format: 'parquet', prefix: 'raw' }, { format: 'csv', prefix: 'raw' })).toEqual([
      '--format parquet then, csv now',
    ]);
  });

  it("names the paginator's page size and pagination by their flags, not the paginator's JSON", () => {
    const before = { format: 'parquet', paginator: stored(shorthandPaginator('page', 1000)) };
    expect(optionDifferences(before, { format: 'parquet', paginator: stored(shorthandPaginator('page', 500)) })).toEqual([
      '--page-size 1000 then, 500 now',
    ]);
    // Another type brings keys of its own (they follow from it): the type and the keys both types have.
    expect(optionDifferences(before, { format: 'csv', paginator: stored(shorthandPaginator('cursor', 500)) })).toEqual([
      '--format parquet then, csv now',
      '--pagination page then, cursor now',
      '--page-size 1000 then, 500 now',
    ]);
    expect(optionDifferences(before, { format: 'parquet', paginator: stored(shorthandPaginator('offset', 1000)) })).toEqual([
      '--pagination page then, offset now',
    ]);
  });

  it("names a paginator key no flag sets by the source file's key", () => {
    const before = { paginator: stored({ type: 'offset', offsetParam: 'offset', pageSize: 100 }) };
    const now = { paginator: stored({ type: 'offset', offsetParam: 'skip', pageSize: 100, sizeParam: 'take' }) };
    expect(optionDifferences(before, now)).toEqual([
      'paginator.offsetParam offset then, skip now',
      'paginator.sizeParam (not set) then, take now',
    ]);
  });
});
