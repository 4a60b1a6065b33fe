import { servedPage } from './servedPage.js';
import type { ResolvedSimulatorOptions } from './simulatorOptions.js';
import { toJson, type SimRecord } from './toJson.js';

/** A page body ready to send, with what it holds (for the counters). */
export interface BuiltPage {
  readonly body: string;
  readonly records: number;
  readonly duplicates: number;
}

/** A validated page request; `build()` generates the page (deferred, so a faulted request costs nothing). */
export type PageRequest = { readonly build: () => BuiltPage } | { readonly error: string };

/** Cursors are opaque to clients: base64url of `o:<offset>`. */
export const encodeCursor = (offset: number): string => Buffer.from(`o:${offset}`).toString('base64url');

/** Validates the query of `/customers` (page + limit) or `/orders` (cursor + limit); errors name the parameter. */
export function pageRequest(
  o: ResolvedSimulatorOptions,
  endpoint: 'customers' | 'orders',
  query: Readonly<Record<string, string>>,
): PageRequest {
  const limit = intParam(query, 'limit', o.defaultPageSize, o.maxPageSize);
  if (typeof limit === 'string') return { error: limit };
  return endpoint === 'customers' ? customersPage(o, query, limit) : ordersPage(o, query, limit);
}

/** A positive integer query parameter (or its default), or an error message naming it. */
function intParam(query: Readonly<Record<string, string>>, name: string, fallback: number, max: number): number | string {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) return `${name} must be an integer between 1 and ${max}`;
  return Number(raw);
}

function pageBody(records: readonly SimRecord[], metadata: unknown): string {
  return `{"data":[${records.map(toJson).join(',')}],"metadata":${JSON.stringify(metadata)}}`;
}

function customersPage(o: ResolvedSimulatorOptions, query: Readonly<Record<string, string>>, limit: number): PageRequest {
  const page = intParam(query, 'page', 1, 1e12);
  if (typeof page === 'string') return { error: page };
  return {
    build: () => {
      const totalPages = Math.ceil(o.records / limit);
      const { records, duplicates } = servedPage(o, 'customers', (page - 1) * limit, limit);
      const metadata = { page, limit, total_records: o.records, total_pages: totalPages, has_next: page < totalPages };
      return { body: pageBody(records, metadata), records: records.length, duplicates };
    },
  };
}

function ordersPage(o: ResolvedSimulatorOptions, query: Readonly<Record<string, string>>, limit: number): PageRequest {
  let offset = 0;
  const cursor = query['cursor'];
  if (cursor !== undefined && cursor !== '') {
    const match = /^o:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match?.[1] || encodeCursor(Number(match[1])) !== cursor || Number(match[1]) > o.orders) return { error: 'cursor is not valid' };
    offset = Number(match[1]);
  }
  return {
    build: () => {
      const { records, duplicates } = servedPage(o, 'orders', offset, limit);
      const next = offset + limit < o.orders ? encodeCursor(offset + limit) : null;
      return { body: pageBody(records, { next_cursor: next }), records: records.length, duplicates };
    },
  };
}
