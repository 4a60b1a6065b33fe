import type { RunConfig } from './runConfig.js';
import type { SourceSpec } from './sourceFile.js';
import type { AuthSpec, Paginator } from './sourceSpec.js';

/**
 * The flags' paginators (and the simulator's): the `{ data, metadata }` envelope the shorthand assumes (docs/configuration.md).
 * Any other shape is described in a source file.
 */
export function shorthandPaginator(pagination: RunConfig['pagination'], pageSize: number): Paginator {
  switch (pagination) {
    case 'page':
      return {
        type: 'page',
        pageParam: 'page',
        firstPage: 1,
        sizeParam: 'limit',
        pageSize,
        totalPagesPath: 'metadata.total_pages',
        totalRecordsPath: 'metadata.total_records',
        hasNextPath: 'metadata.has_next',
      };
    case 'offset':
      return { type: 'offset', offsetParam: 'offset', sizeParam: 'limit', pageSize, totalPath: 'metadata.total' };
    case 'cursor':
      return { type: 'cursor', cursorParam: 'cursor', sizeParam: 'limit', pageSize, nextCursorPath: 'metadata.next_cursor' };
    case 'link':
      return { type: 'link', rel: 'next', sizeParam: 'limit', pageSize };
  }
}

function shorthandAuth(config: RunConfig): AuthSpec {
  switch (config.auth) {
    case 'login':
      return {
        type: 'login',
        path: config.loginPath,
        body: { username: config.username, password: config.password },
        tokenPath: 'access_token',
        expiresInPath: 'expires_in',
        scheme: 'Bearer',
      };
    case 'bearer':
      return { type: 'bearer', token: config.token ?? '' };
    case 'none':
      return { type: 'none' };
  }
}

/** Today's flags (`--api-url`, `--endpoint`, `--pagination`, ...) as the one-resource source they stand for. */
export function shorthandSource(config: RunConfig & { readonly apiUrl?: string | undefined }): SourceSpec {
  // The dataset from the path only: a query string may carry secrets (api_key=...), and names end up in keys, files and reports.
  const endpoint = new URL(config.endpoint, 'http://endpoint.invalid');
  const name = config.dataset ?? (endpoint.pathname.split('/').filter(Boolean).at(-1) ?? 'dataset').replace(/[^A-Za-z0-9_.-]/g, '_');
  return {
    api: { baseUrl: config.apiUrl ?? '', auth: shorthandAuth(config), followHosts: [] },
    resources: [
      {
        name,
        path: endpoint.pathname,
        params: Object.fromEntries(endpoint.searchParams),
        records: config.recordsPath,
        primaryKey: config.keyField,
        paginator: shorthandPaginator(config.pagination, config.pageSize),
        ...(config.schema ? { schema: config.schema } : {}),
      },
    ],
  };
}
