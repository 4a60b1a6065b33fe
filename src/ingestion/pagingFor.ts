import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import type { PagingStrategy } from '../paging/pagingStrategy.js';

/** The page stream's strategy for a run's `pagination` option; other paths keep the simulator's defaults (docs/simulator.md). */
export function pagingFor(config: Pick<ResolvedRunConfig, 'pagination' | 'pageSize' | 'recordsPath'>): PagingStrategy {
  const { pageSize, recordsPath } = config;
  switch (config.pagination) {
    case 'page':
      return { kind: 'pageNumber', pageSize, recordsPath };
    case 'offset':
      return { kind: 'offset', pageSize, recordsPath };
    case 'cursor':
      return { kind: 'cursor', pageSize, recordsPath };
    case 'link':
      return { kind: 'link', pageSize, recordsPath };
  }
}
