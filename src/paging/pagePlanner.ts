import { PagingError } from './pagingError.js';
import type { PageFacts } from './pageFacts.js';
import { isChain, type PageJob, type Pagination } from './pagination.js';

/** Pages already committed by an earlier run, which the stream must not fetch again. */
export type ResumePoint =
  /** Page-number, offset and single-request paging: the committed page numbers. */
  | { readonly committedPages: ReadonlySet<number> | readonly number[] }
  /** Cursor, link and next-URL paging: the last committed page and the cursor (or URL) after it; null = done. */
  | { readonly lastPage: number; readonly nextCursor: string | null };

/**
 * Decides which pages to fetch, from each fetched page's metadata, and notices anomalies.
 * Indexed paginators (page number, offset) fan out once a total is known; chains (cursor,
 * link, next URL) follow one page after another; a single request is one page.
 */
export interface PagePlanner {
  /** Pages to fetch first. */
  initial(): PageJob[];
  /** A page arrived (not staged yet): the pages it makes due. Throws `PagingError` when continuing is unsafe. */
  fetched(job: PageJob, parsed: PageFacts): PageJob[];
  /** Total pages when known, for progress. */
  readonly totalPages: number | undefined;
  /** Checks once every page is staged. */
  finish(recordsStaged: number): void;
}

export function createPagePlanner(
  { paginator }: Pagination,
  resume: ResumePoint | undefined,
  maxPages: number,
  anomaly: (page: number, message: string) => void,
): PagePlanner {
  if (isChain(paginator)) return chainPlanner(paginator.type, resume, maxPages, anomaly);
  if (resume !== undefined && !('committedPages' in resume)) {
    throw new PagingError(`a ${paginator.type} stream resumes from committed page numbers, not from a cursor`, 0);
  }
  if (paginator.type === 'single') return singlePlanner(resume);
  return indexedPlanner(paginator.type === 'offset' ? paginator.pageSize : undefined, resume, maxPages, anomaly);
}

type IndexedResume = Extract<ResumePoint, { readonly committedPages: unknown }>;

/** One request: fetched unless an earlier run committed it. */
function singlePlanner(resume: IndexedResume | undefined): PagePlanner {
  const done = new Set(resume?.committedPages ?? []).has(1);
  return { totalPages: 1, initial: () => (done ? [] : [{ page: 1 }]), fetched: () => [], finish() {} };
}

/** `offsetPageSize`: for offsets, a page shorter than this is the last one. */
function indexedPlanner(
  offsetPageSize: number | undefined,
  resume: IndexedResume | undefined,
  maxPages: number,
  anomaly: (page: number, message: string) => void,
): PagePlanner {
  const committed = new Set(resume?.committedPages ?? []);
  const dispatched = new Set<number>();
  let total: number | undefined;
  let totalRecords: number | undefined;
  let lastFetched = 0;
  const due = (from: number, to: number): PageJob[] => {
    const jobs: PageJob[] = [];
    for (let page = from; page <= to; page++) {
      if (committed.has(page) || dispatched.has(page)) continue;
      if (page > maxPages) throw new PagingError(`more than ${maxPages} pages (maxPages): stopping rather than paging forever`, page);
      dispatched.add(page);
      jobs.push({ page });
    }
    return jobs;
  };
  const next = (page: number): PageJob[] => due(page + 1, page + 1);

  return {
    get totalPages() {
      return total;
    },
    initial() {
      // The lowest uncommitted page tells the total without fetching a committed page again.
      let probe = 1;
      while (committed.has(probe)) probe++;
      return due(probe, probe);
    },
    fetched(job, parsed) {
      const { page } = job;
      lastFetched = Math.max(lastFetched, page);
      const empty = parsed.count === 0;
      if (parsed.totalRecords !== undefined) {
        if (totalRecords !== undefined && parsed.totalRecords !== totalRecords) {
          anomaly(page, `total records changed from ${totalRecords} to ${parsed.totalRecords} mid-run`);
        }
        totalRecords = Math.max(totalRecords ?? 0, parsed.totalRecords);
      }
      const t = parsed.totalPages;
      if (t === undefined) {
        // No total: follow has_next, or stop at the first empty (or, for offsets, short) page.
        if (parsed.hasNext === true) {
          if (empty) anomaly(page, `page ${page} is empty but says there is a next page`);
          return next(page);
        }
        if (parsed.hasNext === false) return [];
        const short = offsetPageSize !== undefined && parsed.count < offsetPageSize;
        return empty || short ? [] : next(page);
      }
      // concat, not push(...): a spread's arguments live on the stack, and a total may be 10^6 pages.
      let jobs: PageJob[] = [];
      if (total === undefined) {
        total = t;
        jobs = jobs.concat(due(1, t));
      } else if (t !== total) {
        anomaly(page, `total pages changed from ${total} to ${t} mid-run`);
        if (t > total) jobs = jobs.concat(due(total + 1, t));
        total = Math.max(total, t);
      }
      if (empty && page < total) anomaly(page, `page ${page} is empty before the last page ${total}`);
      if (parsed.hasNext === false && page < total) {
        anomaly(page, `page ${page} says has_next=false but total_pages is ${total}: fetching up to ${total}`);
      }
      if (parsed.hasNext === true && page >= total) {
        anomaly(page, `page ${page} says has_next=true but total_pages is ${total}: following has_next`);
        if (!empty) jobs = jobs.concat(next(page));
      }
      return jobs;
    },
    finish(recordsStaged) {
      // Repeats make pages longer, never shorter: fewer records than announced means some are missing.
      if (committed.size === 0 && totalRecords !== undefined && recordsStaged < totalRecords) {
        anomaly(lastFetched, `${recordsStaged} records staged but the API announced ${totalRecords}`);
      }
    },
  };
}

function chainPlanner(
  kind: 'cursor' | 'link' | 'nextUrl',
  resume: ResumePoint | undefined,
  maxPages: number,
  anomaly: (page: number, message: string) => void,
): PagePlanner {
  const what = kind === 'cursor' ? 'cursor' : kind === 'link' ? 'next link' : 'next URL';
  if (resume !== undefined && !('lastPage' in resume)) {
    throw new PagingError(`a ${kind} stream resumes from the last committed page and its ${what}`, 0);
  }
  const seen = new Set<string>();
  return {
    totalPages: undefined,
    initial() {
      if (resume === undefined) return [{ page: 1 }];
      if (resume.nextCursor === null) return [];
      seen.add(resume.nextCursor);
      return [{ page: resume.lastPage + 1, cursor: resume.nextCursor }];
    },
    fetched(job, parsed) {
      const { page } = job;
      if (parsed.next === null || parsed.next === undefined) return [];
      if (parsed.next === job.cursor) {
        throw new PagingError(
          `page ${page}'s ${what} is the page's own ${kind === 'cursor' ? 'cursor' : 'URL'}: the server is not advancing, stopping`,
          page,
        );
      }
      if (seen.has(parsed.next)) {
        throw new PagingError(
          `page ${page} points back to an earlier ${what}: the server is looping, stopping before records repeat forever`,
          page,
        );
      }
      seen.add(parsed.next);
      if (parsed.count === 0) anomaly(page, `page ${page} is empty but has a ${what}`);
      if (page + 1 > maxPages)
        throw new PagingError(`more than ${maxPages} pages (maxPages): stopping rather than paging forever`, page + 1);
      return [{ page: page + 1, cursor: parsed.next }];
    },
    finish() {},
  };
}
