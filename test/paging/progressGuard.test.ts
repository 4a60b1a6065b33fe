import { describe, expect, it } from 'vitest';
import { ProgressGuard, maxRepeatedPages } from '../../src/paging/progressGuard.js';
import { PagingError } from '../../src/paging/pagingError.js';

/** Hands `guard` pages 1.. with these keys (null: the record's text stands for its key), and returns how far it let them go. */
function feed(
  guard: ProgressGuard,
  pages: readonly (readonly (string | null)[])[],
  text = (page: number, i: number) => `{"n":${i}}`,
): number {
  let page = 0;
  try {
    for (const keys of pages) {
      page++;
      guard.fetched(page, keys, (i) => text(page, i), 'body');
    }
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(PagingError);
    expect(String(error)).toMatch(/repeat the records of page 1 \(same keys\): it seems to ignore the "page" parameter/);
    return page - 1;
  }
  return page;
}

describe('ProgressGuard', () => {
  it('stops once maxRepeatedPages pages in a row repeat the keys of an earlier one, keyed or not', () => {
    const same = Array.from({ length: maxRepeatedPages + 2 }, () => ['1', '2']);
    expect(feed(new ProgressGuard('/items', 'page'), same)).toBe(maxRepeatedPages);
    // Records without a key are told apart by their text: the same texts repeat...
    const unkeyed = Array.from({ length: maxRepeatedPages + 2 }, () => ['1', null]);
    expect(feed(new ProgressGuard('/items', 'page'), unkeyed)).toBe(maxRepeatedPages);
    // ...other texts do not.
    expect(feed(new ProgressGuard('/items', 'page'), unkeyed, (page, i) => `{"page":${page},"n":${i}}`)).toBe(unkeyed.length);
  });

  it('lets pages through whose keys differ, in content or in order, and counts repeats only in a row', () => {
    expect(feed(new ProgressGuard('/items', 'page'), [['1', '2'], ['2', '1'], ['1', '2', '3'], ['12']])).toBe(4);
    const broken = [['1'], ['1'], ['1'], ['2'], ['1'], ['1'], ['3']];
    expect(feed(new ProgressGuard('/items', 'page'), broken)).toBe(broken.length);
  });
});
