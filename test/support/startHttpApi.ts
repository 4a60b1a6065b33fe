import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the test API answers: a JSON body (or none), a status and headers. */
export interface ApiAnswer {
  readonly status?: number;
  readonly body?: unknown;
  /** The body's exact text, sent as is instead of `body`: for documents JSON.stringify cannot make (nested 100,000 deep). */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request as the API saw it. */
export interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RunningHttpApi {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: ApiRequest[];
  close(): Promise<void>;
}

/** A scripted JSON API over real HTTP on port 0: `route` answers each request. */
export async function startHttpApi(route: (request: ApiRequest, origin: string) => ApiAnswer): Promise<RunningHttpApi> {
  const requests: ApiRequest[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', origin), headers: req.headers, body };
      requests.push(request);
      const answer = route(request, origin);
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.rawBody ?? (answer.body === undefined ? undefined : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
