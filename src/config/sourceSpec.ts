import { z } from 'zod';

/**
 * The vocabulary of a source file (`ingest run --source FILE`): how an API is reached, how each
 * of its resources pages, and what its records are. The page stream and the auth providers
 * take these objects as they are; the run options' shorthand flags are turned into them.
 */

const positiveInt = z.number().int().positive();
const text = z.string().min(1);
/** A dotted path into a response body (`metadata.next_cursor`); `$` is the body itself. */
const dotted = z
  .string()
  .regex(/^(\$|[^.]+(\.[^.]+)*)$/, 'expected a dotted path such as "data" or "meta.next", or "$" for the body itself');
const param = z.string().regex(/^[^\s=&#]+$/, 'expected a query parameter name');
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');

/** Page numbers: `?page=n&limit=k`, the end told by a total, a has-next flag or an empty page. */
const pagePaginator = z.strictObject({
  type: z.literal('page'),
  pageParam: param.default('page'),
  /** The first page's number: most APIs count from 1, some from 0. */
  firstPage: z.union([z.literal(0), z.literal(1)]).default(1),
  sizeParam: param.default('limit'),
  pageSize: positiveInt.max(100_000).optional(),
  totalPagesPath: dotted.optional(),
  totalRecordsPath: dotted.optional(),
  hasNextPath: dotted.optional(),
});

/** Offsets: `?offset=o&limit=k`, the end told by a total or an empty (or short) page. */
const offsetPaginator = z.strictObject({
  type: z.literal('offset'),
  offsetParam: param.default('offset'),
  sizeParam: param.default('limit'),
  pageSize: positiveInt.max(100_000).default(100),
  totalPath: dotted.optional(),
});

/** An opaque cursor read from the body (`nextCursorPath`) or a header, sent back as `cursorParam`; absent or empty at the end. */
const cursorPaginator = z
  .strictObject({
    type: z.literal('cursor'),
    cursorParam: param.default('cursor'),
    sizeParam: param.default('limit'),
    pageSize: positiveInt.max(100_000).optional(),
    nextCursorPath: dotted.optional(),
    nextCursorHeader: headerName.optional(),
  })
  .refine((p) => (p.nextCursorPath === undefined) !== (p.nextCursorHeader === undefined), {
    message: 'a cursor paginator needs exactly one of nextCursorPath and nextCursorHeader',
  });

/** RFC 8288 `Link` header: the URL of the link with relation `rel`; none at the end. */
const linkPaginator = z.strictObject({
  type: z.literal('link'),
  rel: text.default('next'),
  sizeParam: param.default('limit'),
  pageSize: positiveInt.max(100_000).optional(),
});

/** The next page's full URL at a body path; absent, null or empty at the end. */
const nextUrlPaginator = z.strictObject({
  type: z.literal('nextUrl'),
  nextUrlPath: dotted,
  sizeParam: param.default('limit'),
  pageSize: positiveInt.max(100_000).optional(),
});

/** One request, no paging. */
const singlePaginator = z.strictObject({ type: z.literal('single') });

export const paginatorSchema = z.discriminatedUnion('type', [
  pagePaginator,
  offsetPaginator,
  cursorPaginator,
  linkPaginator,
  nextUrlPaginator,
  singlePaginator,
]);
/** How a resource pages, every default applied. */
export type Paginator = z.output<typeof paginatorSchema>;
export type PaginatorInput = z.input<typeof paginatorSchema>;
export type PaginatorType = Paginator['type'];

/** Values that are secrets: the source file holds `${env:NAME}` or `${file:PATH}` references, resolved before validation. */
const secret = text;

export const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** A static token sent as `Authorization: Bearer <token>`. */
  z.strictObject({ type: z.literal('bearer'), token: secret }),
  /** A key sent in a header (default `X-API-Key`) or a query parameter of every page request. */
  z
    .strictObject({
      type: z.literal('apiKey'),
      in: z.enum(['header', 'query']).default('header'),
      name: text.default('X-API-Key'),
      value: secret,
    })
    .refine((k) => (k.in === 'header' ? headerName : param).safeParse(k.name).success, {
      message: 'expected an HTTP header name (in: header) or a query parameter name (in: query)',
      path: ['name'],
    }),
  /** HTTP Basic. */
  z.strictObject({ type: z.literal('basic'), username: text, password: secret }),
  /** POST a JSON body to `path`; the answer holds a token (and maybe its lifetime). Refreshed before expiry and on 401. */
  z.strictObject({
    type: z.literal('login'),
    path: z.string().startsWith('/', 'expected a path starting with "/"').default('/login'),
    body: z.record(z.string(), z.unknown()),
    tokenPath: dotted.default('access_token'),
    /** Seconds the token lives; absent: refreshed on 401 only. */
    expiresInPath: dotted.optional(),
    /** Sent as `Authorization: <scheme> <token>`. */
    scheme: text.default('Bearer'),
  }),
  /** OAuth 2.0 client credentials (RFC 6749 §4.4): a token from `tokenUrl`, refreshed before expiry and on 401. */
  z.strictObject({
    type: z.literal('oauth2'),
    /** An absolute URL, or a path on the API's base URL. */
    tokenUrl: z.string().refine((u) => u.startsWith('/') || /^https?:$/.test(URL.parse(u)?.protocol ?? ''), {
      message: 'expected an absolute http(s) URL or a path starting with "/"',
    }),
    clientId: text,
    clientSecret: secret,
    scope: text.optional(),
    audience: text.optional(),
    /** How the client authenticates (RFC 6749 §2.3.1): HTTP Basic, which every server supports, or `client_id`/`client_secret` in the form. */
    clientAuth: z.enum(['basic', 'body']).default('basic'),
  }),
]);
export type AuthSpec = z.output<typeof authSchema>;
export type AuthSpecInput = z.input<typeof authSchema>;

/** What a declared field must be: its ELT column's type and its ETL cleaning rule. */
export const fieldRuleNames = ['integer', 'number', 'text', 'email', 'date', 'timestamp', 'boolean', 'json'] as const;
export type FieldRule = (typeof fieldRuleNames)[number];
const fieldRule = z.enum(fieldRuleNames);

/** A declared schema: field -> rule, or `{ type, required }` (a required field missing or null is rejected when cleaning). */
export const declaredSchema = z.record(
  text,
  z.union([fieldRule, z.strictObject({ type: fieldRule, required: z.boolean().default(false) })]),
);
export type DeclaredSchemaInput = z.input<typeof declaredSchema>;

/** A declared field, normalised. */
export interface DeclaredField {
  readonly type: FieldRule;
  readonly required: boolean;
}

/** `{ id: 'integer' }` and `{ id: { type: 'integer' } }` alike, as `{ id: { type, required } }`. */
export function declaredFields(schema: z.output<typeof declaredSchema> | undefined): Readonly<Record<string, DeclaredField>> {
  return Object.fromEntries(
    Object.entries(schema ?? {}).map(([name, rule]) => [name, typeof rule === 'string' ? { type: rule, required: false } : rule]),
  );
}

export const queryParams = z.record(param, z.union([z.string(), z.number(), z.boolean()]));
export const httpHeaders = z.record(headerName, z.string());
