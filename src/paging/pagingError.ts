import { IngestError, errorGuard, type ErrorGuard } from '../errors.js';

/** Pagination that cannot safely continue (a looping cursor, too many pages, bad config). */
export class PagingError extends IngestError {
  override name = 'PagingError';
  constructor(
    message: string,
    readonly page: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
export const isPagingError: ErrorGuard<PagingError> = errorGuard(PagingError, 'PagingError');
