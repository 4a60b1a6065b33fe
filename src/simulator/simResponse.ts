/** A request as the pure core sees it; adapters build it from HTTP or from `fetch` arguments. */
export interface SimRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/customers`. */
  readonly path: string;
  /** Query parameters (the first value of each). */
  readonly query: Readonly<Record<string, string>>;
  /** Headers with lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Who sent it, when no token names the client (the HTTP adapter gives the remote address). */
  readonly client?: string;
}

/** How the adapter sends the response. */
export type Delivery =
  | { readonly mode: 'normal' }
  /** Send the head and `afterBytes` of the body, then destroy the connection. */
  | { readonly mode: 'reset'; readonly afterBytes: number }
  /** Send only the first `bytes` of the body (a 200 whose JSON is cut short). */
  | { readonly mode: 'truncate'; readonly bytes: number }
  /** Send the body in `chunks` parts, `intervalMs` apart. */
  | { readonly mode: 'trickle'; readonly chunks: number; readonly intervalMs: number };

/** What the core decided; `body` is UTF-8 text, byte offsets in `delivery` refer to its UTF-8 bytes. */
export interface SimResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Wait before the response head is sent. */
  readonly delayMs: number;
  readonly delivery: Delivery;
  /** A data page counted as served (sent whole): its records and repeats, as in the stats. */
  readonly served?: { readonly records: number; readonly duplicates: number };
}
