import { IngestError } from '../errors.js';
import { notJson } from '../http/notJson.js';
import { readPath } from './dottedPath.js';
import { findLink } from './linkHeader.js';

/** `?page=n&limit=k` with metadata giving the total pages and/or `has_next` (as /customers). */
export interface PageNumberPaging {
  readonly kind: 'pageNumber';
  readonly pageSize: number;
  readonly pageParam?: string;
  readonly sizeParam?: string;
  readonly recordsPath?: string;
  readonly totalPagesPath?: string;
  readonly hasNextPath?: string;
  readonly totalRecordsPath?: string;
}

/** `?offset=o&limit=k` with the total number of records in the metadata. */
export interface OffsetPaging {
  readonly kind: 'offset';
  readonly pageSize: number;
  readonly offsetParam?: string;
  readonly sizeParam?: string;
  readonly recordsPath?: string;
  readonly totalRecordsPath?: string;
}

/** `?cursor=c&limit=k`, the next cursor in the body, null at the end (as /orders). */
export interface CursorPaging {
  readonly kind: 'cursor';
  readonly pageSize?: number;
  readonly cursorParam?: string;
  readonly sizeParam?: string;
  readonly recordsPath?: string;
  readonly nextCursorPath?: string;
}

/** The next page's URL in the `Link: <...>; rel="next"` header (RFC 8288). */
export interface LinkPaging {
  readonly kind: 'link';
  readonly pageSize?: number;
  readonly sizeParam?: string;
  readonly recordsPath?: string;
  readonly rel?: string;
}

/** How an endpoint pages; every dotted path and parameter name has a default fitting the simulator (docs/simulator.md). */
export type PagingStrategy = PageNumberPaging | OffsetPaging | CursorPaging | LinkPaging;

/** A page to fetch: its 1-based number, and the cursor or URL that reaches it (chains only). */
export interface PageJob {
  readonly page: number;
  readonly cursor?: string | undefined;
}

/** What a page's response says, once its body is parsed. */
export interface ParsedPage {
  readonly records: unknown[];
  readonly totalPages: number | undefined;
  readonly totalRecords: number | undefined;
  readonly hasNext: boolean | undefined;
  /** The next cursor or URL for chained strategies; null at the end; undefined otherwise. */
  readonly next: string | null | undefined;
}

// Internal, not exported: the page stream retries it as an AttemptFailure; only its text reaches a RetryLimitError.
/** A 2xx whose body is not what the endpoint promises (truncated, HTML, no records): transient. */
export class BadBodyError extends IngestError {
  override name = 'BadBodyError';
}

/** The URL of one page. */
export function pageUrl(endpoint: string, strategy: PagingStrategy, job: PageJob): string {
  if (strategy.kind === 'link' && job.cursor !== undefined) return job.cursor;
  const url = new URL(endpoint);
  const size = strategy.pageSize;
  const sizeParam = strategy.sizeParam ?? 'limit';
  switch (strategy.kind) {
    case 'pageNumber':
      url.searchParams.set(strategy.pageParam ?? 'page', String(job.page));
      break;
    case 'offset':
      url.searchParams.set(strategy.offsetParam ?? 'offset', String((job.page - 1) * strategy.pageSize));
      break;
    case 'cursor':
      if (job.cursor !== undefined) url.searchParams.set(strategy.cursorParam ?? 'cursor', job.cursor);
      break;
    case 'link':
      break;
  }
  if (size !== undefined) url.searchParams.set(sizeParam, String(size));
  return url.toString();
}

/** Parses a page's body and headers; throws `BadBodyError` when it is not the expected JSON. */
export function parsePage(strategy: PagingStrategy, body: string, headers: Headers, requestUrl: string): ParsedPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // Never the parser's message or the body's bytes: they quote records.
    throw new BadBodyError(`the body is not JSON (${notJson(body)})`);
  }
  const recordsPath = strategy.recordsPath ?? 'data';
  const records = readPath(json, recordsPath);
  if (!Array.isArray(records)) throw new BadBodyError(`the body has no array of records at "${recordsPath}"`);
  const num = (path: string | undefined): number | undefined => {
    const v = path === undefined ? undefined : readPath(json, path);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  switch (strategy.kind) {
    case 'pageNumber': {
      const hasNext = readPath(json, strategy.hasNextPath ?? 'metadata.has_next');
      return {
        records,
        totalPages: num(strategy.totalPagesPath ?? 'metadata.total_pages'),
        totalRecords: num(strategy.totalRecordsPath ?? 'metadata.total_records'),
        hasNext: typeof hasNext === 'boolean' ? hasNext : undefined,
        next: undefined,
      };
    }
    case 'offset': {
      const totalRecords = num(strategy.totalRecordsPath ?? 'metadata.total');
      return {
        records,
        totalPages: totalRecords === undefined ? undefined : Math.ceil(totalRecords / strategy.pageSize),
        totalRecords,
        hasNext: undefined,
        next: undefined,
      };
    }
    case 'cursor': {
      const path = strategy.nextCursorPath ?? 'metadata.next_cursor';
      const next = readPath(json, path);
      if (next !== null && next !== undefined && typeof next !== 'string' && typeof next !== 'number') {
        throw new BadBodyError(`the next cursor at "${path}" is neither a string nor null`);
      }
      return {
        records,
        totalPages: undefined,
        totalRecords: undefined,
        hasNext: undefined,
        next: next === null || next === undefined || next === '' ? null : String(next),
      };
    }
    case 'link':
      return {
        records,
        totalPages: undefined,
        totalRecords: undefined,
        hasNext: undefined,
        next: findLink(headers.get('link'), strategy.rel ?? 'next', requestUrl) ?? null,
      };
  }
}
