import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonServer from 'json-server';

export interface RunningJsonServer {
  readonly url: string;
  /** Requests answered, by path and query (`/items?_page=2&_limit=7`), in order. */
  readonly requests: readonly string[];
  /** The User-Agent of each request, in the same order: which HTTP client asked. */
  readonly userAgents: readonly (string | undefined)[];
  close(): Promise<void>;
}

/** json-server over `db` (each top-level array a resource) on a free loopback port. */
export async function startJsonServer(db: Readonly<Record<string, unknown>>): Promise<RunningJsonServer> {
  const requests: string[] = [];
  const userAgents: (string | undefined)[] = [];
  const app = jsonServer.create();
  app.use((req: IncomingMessage, _res: unknown, next: () => void) => {
    requests.push(req.url ?? '');
    userAgents.push(req.headers['user-agent']);
    next();
  });
  app.use(jsonServer.defaults({ logger: false, noCors: true }));
  app.use(jsonServer.router(db));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    userAgents,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
