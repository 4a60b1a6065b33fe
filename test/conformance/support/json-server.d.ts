// json-server 0.17 ships no types: the three calls the conformance suite makes.
declare module 'json-server' {
  import type { RequestListener } from 'node:http';

  interface JsonServerApp extends RequestListener {
    use(...handlers: unknown[]): JsonServerApp;
  }

  const jsonServer: {
    /** An express app. */
    create(): JsonServerApp;
    /** REST routes over an in-memory database: each top-level array is a resource. */
    router(db: Readonly<Record<string, unknown>>): unknown;
    /** Its standard middlewares (static files, CORS, no-cache, logger). */
    defaults(options?: { logger?: boolean; static?: string; noCors?: boolean }): unknown[];
  };
  export default jsonServer;
}
