import type { Paginator } from '../config/sourceSpec.js';
import { IngestError } from '../errors.js';
import { notJson } from '../http/notJson.js';
import { isRootPath, readPath } from '../config/dottedPath.js';
import { findLink } from './linkHeader.js';
import type { PageFacts } from './pageFacts.js';
import { PagingError } from './pagingError.js';
import type { RecordLimits } from '../staging/recordCheck.js';
import { scanRecords } from '../staging/scanRecords.js';

/** How a resource pages (the source file's paginator) and where its records are (`$` = the body itself). */
export interface Pagination {
  readonly paginator: Paginator;
  readonly records: string;
}

/** A page to fetch: its 1-based number in the run, and the cursor or URL that reaches it (chains only). */
export interface PageJob {
  readonly page: number;
  readonly cursor?: string | undefined;
}

// Internal, not exported: the page stream retries it as an AttemptFailure; only its text reaches a RetryLimitError.
/** A 2xx whose body is not what the endpoint promises (truncated, HTML, no records): transient. */
export class BadBodyError extends IngestError {
  override name = 'BadBodyError';
}

/** Paginators that follow one page after another (the next page is known only from the last). */
export function isChain(paginator: Paginator): paginator is Paginator & { type: 'cursor' | 'link' | 'nextUrl' } {
  return paginator.type === 'cursor' || paginator.type === 'link' || paginator.type === 'nextUrl';
}

/** Paginators whose next page is a URL the API gives. */
export function isUrlChain(paginator: Paginator): boolean {
  return paginator.type === 'link' || paginator.type === 'nextUrl';
}

/** `url` with `params` set in its query. */
export function withQuery(url: string, params: Readonly<Record<string, string>> = {}): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return url;
  const u = new URL(url);
  for (const [name, value] of entries) u.searchParams.set(name, value);
  return u.toString();
}

/** `url` without the query parameters named in `params`. */
export function withoutQuery(url: string, params: Readonly<Record<string, string>> = {}): string {
  const names = Object.keys(params);
  if (names.length === 0) return url;
  const u = new URL(url);
  for (const name of names) u.searchParams.delete(name);
  return u.toString();
}

/** The URL of one page: `endpoint` (its own query kept) with the paginator's parameters, or the chain's next URL. */
export function pageUrl(endpoint: string, { paginator }: Pagination, job: PageJob): string {
  if (isUrlChain(paginator) && job.cursor !== undefined) return job.cursor;
  const url = new URL(endpoint);
  switch (paginator.type) {
    case 'page':
      url.searchParams.set(paginator.pageParam, String(job.page - 1 + paginator.firstPage));
      break;
    case 'offset':
      url.searchParams.set(paginator.offsetParam, String((job.page - 1) * paginator.pageSize));
      break;
    case 'cursor':
      if (job.cursor !== undefined) url.searchParams.set(paginator.cursorParam, job.cursor);
      break;
    case 'link':
    case 'nextUrl':
    case 'single':
      break;
  }
  // No page size configured: the API's own default, and no size parameter at all.
  if (paginator.type !== 'single' && paginator.pageSize !== undefined)
    url.searchParams.set(paginator.sizeParam, String(paginator.pageSize));
  return url.toString();
}

/** A page's records, parsed, and what the page says about paging. */
export interface ParsedPage {
  readonly records: unknown[];
  readonly facts: PageFacts;
}

/** A page's records as their exact text and keys (`scanRecords`), and what the page says about paging. */
export interface ScannedPage {
  readonly rawRecords: string[];
  readonly keys: (string | null)[];
  /** With limits: why each record is refused under them, or undefined. */
  readonly refusals?: (string | undefined)[];
  /** The body holds a number long enough to be an integer beyond 2^53 (`scanRecords`). */
  readonly longNumbers: boolean;
  readonly facts: PageFacts;
}

/** Parses a page's body and headers; throws `BadBodyError` when it is not the expected JSON. */
export function parsePage(pagination: Pagination, body: string, headers: Headers, requestUrl: string): ParsedPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw notJsonError(body);
  }
  const records = readPath(json, pagination.records);
  if (!Array.isArray(records)) throw noRecordsError(pagination.records);
  return { records, facts: readFacts(pagination.paginator, (path) => readPath(json, path), records.length, headers, requestUrl) };
}

/**
 * `parsePage` in one pass over the body that keeps each record's exact text, reads its key
 * (`keyField`) and, with `limits`, checks it against them. The paginator's fields are read from
 * the body without its records, parsed only when the paginator reads the body; a field among the
 * records (an odd source: all of them when the records are the body) from the whole body, parsed
 * then. Throws `BadBodyError` when it is not the expected JSON.
 */
export function scanPage(
  pagination: Pagination,
  body: string,
  headers: Headers,
  requestUrl: string,
  keyField: string,
  limits?: Readonly<RecordLimits>,
): ScannedPage {
  const scanned = scanRecords(body, pagination.records, keyField, limits);
  if (scanned === undefined) throw notJsonError(body);
  const { records, keys, refusals, envelope, longNumbers } = scanned;
  if (records === undefined) throw noRecordsError(pagination.records);
  const recordsPath = pagination.records;
  const [whole, rest] = [parsedOnce(body), parsedOnce(envelope)];
  const read = (path: string): unknown =>
    readPath((isRootPath(recordsPath) || path === recordsPath || path.startsWith(`${recordsPath}.`) ? whole : rest)(), path);
  return {
    rawRecords: records,
    keys,
    ...(refusals && { refusals }),
    longNumbers,
    facts: readFacts(pagination.paginator, read, records.length, headers, requestUrl),
  };
}

/** `text` parsed on the first call, not before. */
function parsedOnce(text: string): () => unknown {
  let parsed: { value: unknown } | undefined;
  return () => (parsed ??= { value: JSON.parse(text) }).value;
}

// Never the parser's message or the body's bytes: they quote records.
const notJsonError = (body: string): BadBodyError => new BadBodyError(`the body is not JSON (${notJson(body)})`);

const noRecordsError = (recordsPath: string): BadBodyError =>
  new BadBodyError(recordsPath === '$' ? 'the body is not an array of records' : `the body has no array of records at "${recordsPath}"`);

/** What the page says about paging, from the body's fields (`read`) and the headers. */
function readFacts(paginator: Paginator, read: (path: string) => unknown, count: number, headers: Headers, requestUrl: string): PageFacts {
  const num = (path: string | undefined): number | undefined => {
    const v = path === undefined ? undefined : read(path);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const page = { count, totalPages: undefined, totalRecords: undefined, hasNext: undefined, next: undefined };
  switch (paginator.type) {
    case 'page': {
      const hasNext = paginator.hasNextPath === undefined ? undefined : read(paginator.hasNextPath);
      const totalRecords = num(paginator.totalRecordsPath);
      const { pageSize } = paginator;
      return {
        ...page,
        totalPages:
          num(paginator.totalPagesPath) ??
          (totalRecords !== undefined && pageSize !== undefined ? Math.ceil(totalRecords / pageSize) : undefined),
        totalRecords,
        hasNext: typeof hasNext === 'boolean' ? hasNext : undefined,
      };
    }
    case 'offset': {
      const totalRecords = num(paginator.totalPath);
      return { ...page, totalPages: totalRecords === undefined ? undefined : Math.ceil(totalRecords / paginator.pageSize), totalRecords };
    }
    case 'cursor': {
      const { nextCursorPath, nextCursorHeader } = paginator;
      const next = nextCursorHeader !== undefined ? headers.get(nextCursorHeader) : read(nextCursorPath!);
      if (next !== null && next !== undefined && typeof next !== 'string' && typeof next !== 'number') {
        throw new BadBodyError(`the next cursor at "${nextCursorPath}" is neither a string nor null`);
      }
      return { ...page, next: next === null || next === undefined || next === '' ? null : String(next) };
    }
    case 'link':
      return { ...page, next: findLink(headers.get('link'), paginator.rel, requestUrl) ?? null };
    case 'nextUrl': {
      const next = read(paginator.nextUrlPath);
      if (next === null || next === undefined || next === '') return { ...page, next: null };
      if (typeof next !== 'string') throw new BadBodyError(`the next URL at "${paginator.nextUrlPath}" is neither a string nor null`);
      try {
        return { ...page, next: new URL(next, requestUrl).toString() };
      } catch {
        throw new BadBodyError(`the next URL at "${paginator.nextUrlPath}" is not a URL`);
      }
    }
    case 'single':
      return page;
  }
}

/** The query parameter that should move an indexed paginator forward, for the not-advancing sentence. */
export function movingParam({ paginator }: Pagination): string | undefined {
  if (paginator.type === 'page') return paginator.pageParam;
  if (paginator.type === 'offset') return paginator.offsetParam;
  return undefined;
}

/**
 * Credentials and configured headers never leave the API's origin: a next page or redirect on
 * another origin (scheme, host or port) is followed bare when its host is in `followHosts`, else
 * refused with a `PagingError`.
 */
export function nextUrlAccess(
  next: string,
  apiOrigin: string,
  followHosts: readonly string[],
  page: number,
  what: 'next page' | 'redirect',
): void {
  const url = new URL(next);
  if (url.origin === apiOrigin) return;
  // `host` is the name with its port when not the scheme's default, as api.followHosts spells it.
  if ((url.protocol === 'https:' || url.protocol === 'http:') && followHosts.includes(url.host)) return;
  throw new PagingError(
    `page ${page}'s ${what} leads to another origin (${url.origin}; the API is ${apiOrigin}): refused, so that credentials stay with the API; list its host in api.followHosts to follow it without credentials`,
    page,
  );
}
