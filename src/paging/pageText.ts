import { recordKey } from '../staging/recordKey.js';
import { parsePage, type Pagination, type ParsedPage } from './pagination.js';
import { rawJsonArray } from './rawJsonArray.js';

/** What paging needs of a parsed page: all it says but its records, and how many those are. */
export type PageFacts = Omit<ParsedPage, 'records'> & { readonly count: number };

/** A page parsed: its facts, its records' exact source text (`rawRecords[i]`) and keys (`keys[i]`, null: none). */
export interface PageText {
  readonly facts: PageFacts;
  readonly rawRecords: string[];
  readonly keys: (string | null)[];
}

/** A page's facts, parsed records aside. */
export function pageFacts({ records, ...facts }: ParsedPage): PageFacts {
  return { ...facts, count: records.length };
}

/**
 * Parses a page's body (`parsePage`: throws `BadBodyError` when it is not the expected JSON) and
 * keeps each record as text with its key: the parsed objects are garbage once this returns, so a
 * page waiting to be staged holds slices of its body, not a tree of objects.
 */
export function parsePageText(pagination: Pagination, keyField: string, body: string, headers: Headers, requestUrl: string): PageText {
  const parsed = parsePage(pagination, body, headers, requestUrl);
  return {
    facts: pageFacts(parsed),
    rawRecords: rawJsonArray(body, pagination.records) ?? parsed.records.map((r) => JSON.stringify(r)),
    keys: parsed.records.map((record) => recordKey(record, keyField)),
  };
}
