import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

/** The S3 operation a request is, from its method and query (enough for our assertions). */
export type S3Operation =
  | 'PutObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'HeadObject'
  | 'HeadBucket'
  | 'GetObject'
  | 'DeleteObject'
  | 'Other';

export interface ProxiedRequest {
  readonly n: number;
  readonly operation: S3Operation;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** What the client got: the server's status, or the injected fault. */
  readonly outcome: number | 'reset';
  /** True when the proxy answered itself with a fault; the server never saw the request. */
  readonly injected: boolean;
}

/** An S3 error answer: status, code, message and extra fields of the XML body (as AWS sends). */
export interface S3ErrorReply {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
  readonly fields?: Readonly<Record<string, string>>;
}

/** Decides a fault for the n-th request (1-based): an S3 error, a socket reset, or none. */
export type FaultPlan = (request: {
  n: number;
  operation: S3Operation;
  method: string;
  path: string;
}) => 500 | 503 | 400 | S3ErrorReply | 'reset' | undefined;

/** Picks the requests whose body the proxy alters on the way to the server. */
export type RequestFilter = (request: { operation: S3Operation; method: string; path: string }) => boolean;

/** Header values to put into the server's answer to a request (to play a store that reports wrong values). */
export type ResponseRewrite = (request: { operation: S3Operation; method: string; path: string }) => Record<string, string> | undefined;

export type RequestHook = (request: { n: number; operation: S3Operation; method: string; path: string }) => Promise<void> | void;

export interface RunningS3Proxy {
  readonly endpoint: string;
  readonly requests: readonly ProxiedRequest[];
  /** How many requests of `operation` reached the real server (faults excluded). */
  count(operation: S3Operation): number;
  /** Forgets the requests seen so far (per-test bookkeeping). */
  clear(): void;
  setFaults(plan: FaultPlan | undefined): void;
  /** Awaited before a request is forwarded: lets a test act "between" two requests (races). */
  setHook(hook: RequestHook | undefined): void;
  /** Flips one byte (at offset 1000) of the bodies of the chosen requests: the server stores other bytes than were sent. */
  setCorrupt(filter: RequestFilter | undefined): void;
  setRewrite(rewrite: ResponseRewrite | undefined): void;
  close(): Promise<void>;
}

export function s3Operation(method: string, url: string): S3Operation {
  const u = new URL(url, 'http://x');
  const q = u.searchParams;
  const hasKey = u.pathname.split('/').filter(Boolean).length > 1;
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'PUT' && q.has('uploadId')) return 'UploadPart';
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads';
  if (method === 'PUT' && hasKey && [...q.keys()].filter((k) => k !== 'x-id').length === 0) return 'PutObject';
  if (method === 'HEAD') return hasKey ? 'HeadObject' : 'HeadBucket';
  if (method === 'GET' && hasKey) return 'GetObject';
  if (method === 'DELETE' && hasKey) return 'DeleteObject';
  return 'Other';
}

const ERROR_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown', 400: 'InvalidRequest' };

/**
 * A loopback HTTP proxy in front of an S3 server that logs every request by operation and
 * injects faults on demand. The Host header is passed through untouched, so SigV4 signatures
 * (made for the proxy's address) still verify at the server.
 */
export async function startS3Proxy(target: string, faults?: FaultPlan): Promise<RunningS3Proxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let plan = faults;
  let hook: RequestHook | undefined;
  let corrupt: RequestFilter | undefined;
  let rewrite: ResponseRewrite | undefined;
  let n = 0;
  const server = createServer((req: IncomingMessage, res) => {
    n += 1;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const operation = s3Operation(method, path);
    const fault = plan?.({ n, operation, method, path });
    const record = (outcome: number | 'reset', injected: boolean): void => {
      requests.push({ n, operation, method, path, headers: { ...req.headers }, outcome, injected });
    };
    if (fault === 'reset') {
      record('reset', true);
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      // Drain the body first so the client sees the error response, not a broken pipe.
      req.resume();
      const reply: S3ErrorReply = typeof fault === 'number' ? { status: fault, code: ERROR_CODES[fault] ?? 'InternalError' } : fault;
      req.on('end', () => {
        record(reply.status, true);
        const fields = Object.entries(reply.fields ?? {})
          .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
          .join('');
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${reply.code}</Code><Message>${escapeXml(reply.message ?? 'injected fault')}</Message>${fields}</Error>`;
        res.writeHead(reply.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(method === 'HEAD' ? undefined : body);
      });
      return;
    }
    const forwardRequest = (): void => {
      const forward = request({ host: upstream.hostname, port: upstream.port, method, path, headers: req.headers }, (upstreamRes) => {
        record(upstreamRes.statusCode ?? 0, false);
        res.writeHead(upstreamRes.statusCode ?? 502, { ...upstreamRes.headers, ...rewrite?.({ operation, method, path }) });
        upstreamRes.pipe(res);
      });
      forward.on('error', () => {
        record('reset', false);
        req.socket.destroy();
      });
      // A client that gave up mid-body (an aborted upload) leaves the store nothing to wait for.
      req.on('close', () => {
        if (!req.complete) forward.destroy();
      });
      (corrupt?.({ operation, method, path }) ? req.pipe(flipByteAt(1000)) : req).pipe(forward);
    };
    req.pause();
    Promise.resolve(hook?.({ n, operation, method, path })).then(forwardRequest, () => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    count: (operation) => requests.filter((r) => r.operation === operation && !r.injected).length,
    clear() {
      requests.length = 0;
    },
    setFaults(next) {
      plan = next;
    },
    setHook(next) {
      hook = next;
    },
    setCorrupt(next) {
      corrupt = next;
    },
    setRewrite(next) {
      rewrite = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A pass-through that changes the byte at `offset`, keeping the length. */
function flipByteAt(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (seen <= offset && offset < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - seen] = (copy[offset - seen] as number) ^ 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
