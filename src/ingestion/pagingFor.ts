import type { ResourceSpec } from '../config/sourceFile.js';
import { ConfigError } from '../errors.js';
import type { PagingStrategy } from '../paging/pagingStrategy.js';

/** The page stream's strategy for a resource's paginator. */
export function pagingFor(resource: Pick<ResourceSpec, 'paginator' | 'records'>): PagingStrategy {
  const p = resource.paginator;
  const recordsPath = resource.records;
  switch (p.type) {
    case 'page':
      return {
        kind: 'pageNumber',
        pageSize: p.pageSize ?? 100,
        pageParam: p.pageParam,
        sizeParam: p.sizeParam,
        recordsPath,
        ...(p.totalPagesPath ? { totalPagesPath: p.totalPagesPath } : {}),
        ...(p.hasNextPath ? { hasNextPath: p.hasNextPath } : {}),
        ...(p.totalRecordsPath ? { totalRecordsPath: p.totalRecordsPath } : {}),
      };
    case 'offset':
      return {
        kind: 'offset',
        pageSize: p.pageSize,
        offsetParam: p.offsetParam,
        sizeParam: p.sizeParam,
        recordsPath,
        ...(p.totalPath ? { totalRecordsPath: p.totalPath } : {}),
      };
    case 'cursor':
      return {
        kind: 'cursor',
        ...(p.pageSize ? { pageSize: p.pageSize } : {}),
        cursorParam: p.cursorParam,
        sizeParam: p.sizeParam,
        recordsPath,
        ...(p.nextCursorPath ? { nextCursorPath: p.nextCursorPath } : {}),
      };
    case 'link':
      return { kind: 'link', ...(p.pageSize ? { pageSize: p.pageSize } : {}), sizeParam: p.sizeParam, recordsPath, rel: p.rel };
    default:
      throw new ConfigError([`paginator.type: ${p.type} is not supported yet`]);
  }
}
