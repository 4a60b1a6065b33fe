import { z } from 'zod';
import {
  authSchema,
  declaredFields,
  declaredSchema,
  httpHeaders,
  paginatorSchema,
  queryParams,
  type AuthSpec,
  type DeclaredField,
  type Paginator,
} from './sourceSpec.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." and "-" only');
const path = z.string().regex(/^\/[^?#]*$/, 'expected a path starting with "/", without a query (put parameters in "params")');
const host = z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'expected a host name, with a port if not the default');

/** What a resource may set, each also settable once for all in `defaults`. */
const resourceKeys = {
  /** Dotted path of the records array in a page's body; `$` when the body is the array. */
  records: z.string().min(1).optional(),
  /** The field identifying a record (deduplication key). */
  primaryKey: z.string().min(1).optional(),
  paginator: paginatorSchema.optional(),
  params: queryParams.optional(),
  headers: httpHeaders.optional(),
  schema: declaredSchema.optional(),
};

export const sourceSchema = z.strictObject({
  /** Names the source in run ids (`<name>-<date>`) when it has several resources. */
  name: name.optional(),
  api: z.strictObject({
    baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    /** Sent on every request. */
    headers: httpHeaders.optional(),
    auth: authSchema.default({ type: 'none' }),
    /** Hosts other than the API's own that `link` and `nextUrl` pages may lead to: followed without credentials. */
    followHosts: z.array(host).default([]),
  }),
  defaults: z.strictObject(resourceKeys).optional(),
  resources: z.array(z.strictObject({ name, path, ...resourceKeys })).min(1, 'a source needs at least one resource'),
});

/** A source as given (a source file's content, or the same object from the library). */
export type SourceSpecInput = z.input<typeof sourceSchema>;
export type SourceSpec = z.output<typeof sourceSchema>;

/** The API as every resource of a source reaches it. */
export interface ApiSpec {
  readonly baseUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: AuthSpec;
  readonly followHosts: readonly string[];
}

/** One resource, its defaults applied: what one dataset of a run is fetched by. */
export interface ResourceSpec {
  readonly name: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  /** The API's headers, then the defaults', then the resource's own. */
  readonly headers: Readonly<Record<string, string>>;
  readonly records: string;
  readonly primaryKey: string;
  readonly paginator: Paginator;
  /** Declared fields, in their order; empty: columns come from the records alone. */
  readonly schema: Readonly<Record<string, DeclaredField>>;
}

/**
 * Each resource with the defaults under it (a resource's own value wins; `params` and `headers`
 * merge key by key). A resource without records path or paginator, from itself or the defaults,
 * is a problem named here.
 */
export function resourcesOf(source: SourceSpec, problems: string[]): ResourceSpec[] {
  const defaults = source.defaults ?? {};
  const names = source.resources.map((r) => r.name);
  const repeated = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  // Names are datasets: two resources of one name would share a staging file and an object.
  if (repeated.length > 0) problems.push(`resources: names must be unique (${repeated.join(', ')} repeated)`);
  return source.resources.flatMap((resource, i) => {
    const records = resource.records ?? defaults.records;
    const paginator = resource.paginator ?? defaults.paginator;
    const where = `resources.${i} (${resource.name})`;
    if (records === undefined)
      problems.push(`${where}: no "records" path (set it on the resource or in "defaults"; "$" when the body is the array)`);
    if (paginator === undefined)
      problems.push(`${where}: no "paginator" (set it on the resource or in "defaults"; { type: single } for one request)`);
    if (records === undefined || paginator === undefined) return [];
    const params = { ...defaults.params, ...resource.params };
    return [
      {
        name: resource.name,
        path: resource.path,
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
        headers: { ...source.api.headers, ...defaults.headers, ...resource.headers },
        records,
        primaryKey: resource.primaryKey ?? defaults.primaryKey ?? 'id',
        paginator,
        schema: declaredFields(resource.schema ?? defaults.schema),
      },
    ];
  });
}

/** A resource's URL: the API's base URL (its path kept) joined with the resource's path, its params as the query. */
export function resourceUrl(api: Pick<ApiSpec, 'baseUrl'>, resource: Pick<ResourceSpec, 'path' | 'params'>): string {
  const base = api.baseUrl.endsWith('/') ? api.baseUrl : `${api.baseUrl}/`;
  const url = new URL(resource.path.replace(/^\/+/, ''), base);
  for (const [name, value] of Object.entries(resource.params)) url.searchParams.set(name, value);
  return url.toString();
}

/**
 * An API key sent in the query: the page stream adds it to each request to the API, and it stays
 * out of the resource's URL and params, which the staging file and the checkpoints keep.
 */
export function credentialQuery(api: Pick<ApiSpec, 'auth'>): Readonly<Record<string, string>> {
  return api.auth.type === 'apiKey' && api.auth.in === 'query' ? { [api.auth.name]: api.auth.value } : {};
}

/** The source's API part, defaults applied. */
export function apiOf(source: SourceSpec): ApiSpec {
  return { baseUrl: source.api.baseUrl, headers: source.api.headers ?? {}, auth: source.api.auth, followHosts: source.api.followHosts };
}
