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
    // Every record keyed (most pages): their keys in one update, as the loop below would give them.
    if (!keys.includes(null)) hash.update(keys.join('\n')).update('\n');
    else {
      let unserialisable = false;
      for (let i = 0; i < keys.length; i++) {
        const text = keys[i] ?? recordText(i);
        // Nested too deep for JSON.stringify's recursion: the page's text stands for it (staging refuses the record).
        if (text === undefined) unserialisable = true;
        hash.update(`${text ?? ''}\n`);
      }
      if (unserialisable) hash.update(body);
    }
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
