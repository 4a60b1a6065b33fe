import type { ParsedPage } from './pagination.js';

/** What paging needs of a parsed page: all it says but its records, and how many those are. */
export type PageFacts = Omit<ParsedPage, 'records'> & { readonly count: number };

/** A page's facts, parsed records aside. */
export function pageFacts({ records, ...facts }: ParsedPage): PageFacts {
  return { ...facts, count: records.length };
}
