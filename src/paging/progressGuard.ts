import { createHash } from 'node:crypto';
import { PagingError } from './pagingError.js';

/** Consecutive pages that bring only records already received before a run is stopped as not advancing. */
export const maxRepeatedPages = 3;
/** Pages remembered for comparison: memory stays bounded whatever the run's size. */
const remembered = 64;

/**
 * Notices a paginator that does not advance: a server that ignores the page or offset parameter
 * serves the same records again and again, and would be paged up to `maxPages`. A page whose
 * records have the same keys, in the same order, as one of the last pages is a repeat;
 * `maxRepeatedPages` repeats in a row stop the run. Empty pages neither count nor reset.
 */
export class ProgressGuard {
  readonly #recent = new Map<string, number>();
  readonly #repeats: number[] = [];
  readonly #where: string;
  readonly #param: string | undefined;

  /** `where`: the endpoint as it may be shown (redacted); `param`: the parameter that should move the pages. */
  constructor(where: string, param: string | undefined) {
    this.#where = where;
    this.#param = param;
  }

  /**
   * A page arrived (`keys`: its records' keys, as `recordKey` gives them; `recordText(i)`: record
   * i's JSON text, undefined when it has none; `body`: the page's text); throws `PagingError` once
   * pages have repeated `maxRepeatedPages` times in a row.
   */
  fetched(page: number, keys: readonly (string | null)[], recordText: (i: number) => string | undefined, body: string): void {
    if (keys.length === 0) return;
    const hash = createHash('sha256');
    // One update for the page: each record's key, or its text where it has none, a line each.
    const texts = keys.map((key, i) => key ?? recordText(i));
    hash.update(texts.join('\n')).update('\n');
    // A record nested too deep for JSON.stringify's recursion has no text (an empty line): the
    // page's text stands for it (staging refuses the record).
    if (texts.includes(undefined)) hash.update(body);
    const fingerprint = hash.digest('base64');
    const first = this.#recent.get(fingerprint);
    if (first === undefined) {
      this.#repeats.length = 0;
      this.#recent.set(fingerprint, page);
      if (this.#recent.size > remembered) this.#recent.delete(this.#recent.keys().next().value!);
      return;
    }
    this.#repeats.push(page);
    if (this.#repeats.length < maxRepeatedPages) return;
    const pages = this.#repeats.map(String);
    const listed = `${pages.slice(0, -1).join(', ')} and ${pages.at(-1)!}`;
    const cause = this.#param === undefined ? '' : `: it seems to ignore the "${this.#param}" parameter`;
    throw new PagingError(
      `${this.#where} is not advancing: pages ${listed} repeat the records of page ${first} (same keys)${cause}; stopping rather than paging forever`,
      page,
    );
  }
}
