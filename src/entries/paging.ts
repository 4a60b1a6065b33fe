// `ingest/paging`: the page stream on its own, without staging, files or S3.
export { pageStream, type PageStream } from '../paging/pageStream.js';
export type { PageStreamOptions, PageStreamDeps, StagedPage } from '../paging/pageStreamOptions.js';
export type { Pagination } from '../paging/pagination.js';
export type { Paginator, PaginatorInput } from '../config/sourceSpec.js';
export type { StreamEvent } from '../paging/streamEvent.js';
export type { StreamGauges } from '../paging/streamGauges.js';
// The scheduler a page stream's backoff timers run on (`PageStreamDeps.scheduler`).
export { clockScheduler } from '../runtime/clockScheduler.js';
