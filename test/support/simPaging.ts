import { shorthandPaginator } from '../../src/config/shorthandSource.js';
import type { Pagination } from '../../src/paging/pagination.js';

/** The page stream options for one of the simulator's paginators (its `{ data, metadata }` envelope). */
export function simPaging(type: 'page' | 'offset' | 'cursor' | 'link', pageSize = 100): Pagination {
  return { paginator: shorthandPaginator(type, pageSize), records: 'data' };
}
