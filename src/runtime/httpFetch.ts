import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Fetch, FetchResponse } from './runtime.js';
import { utf8Text } from './utf8Text.js';

export interface HttpFetchOptions {
  /** TLS options of the HTTPS connections (e.g. `ca` for a private certificate authority). */
  readonly https?: Pick<HttpsAgentOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
}

/** What `fetch` sends unless the caller says otherwise. */
const defaultHeaders = { accept: '*/*', 'user-agent': 'node', 'accept-encoding': 'gzip, deflate' } as const;
/** Redirects followed at most, as `fetch` follows them. */
const maxRedirects = 20;
/** Dropped when a redirect leaves the origin: they were meant for the first one. */
const credentialHeaders = ['authorization', 'cookie', 'proxy-authorization'];
/** Dropped when a redirect turns the request into a GET. */
const bodyHeaders = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/** As `fetch` fails: a request that got no answer, or a body cut short, with Node's error as the cause. */
const failed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });
const terminated = (cause: unknown): TypeError => new TypeError('terminated', { cause });

/**
 * The run's default transport: `fetch`'s behaviour for what a run sends (a method, headers, a
 * string body, a signal, `redirect`), on Node's `http`/`https` with connections kept open. A page
 * costs about half the CPU of `fetch`'s (100-record pages: 0.55 against 1.05-1.13 ms; 1,000-record
 * pages: 2.8 against 4.8 ms), whose WHATWG streams a run does not need: it reads the body as it
 * arrives, decoded (gzip, deflate, br), and as text. docs/decisions.md has the measurements.
 */
export function createHttpFetch(options: HttpFetchOptions = {}): Fetch {
  // A free connection does not hold the process open (Node unrefs it). As `fetch` does, it is
  // dropped after 4 s idle, or a second before the server's `Keep-Alive: timeout` if sooner, so
  // that a request rarely goes out on one the server is closing. (The timeout of a connection in
  // use only emits an event: a slow answer is the attempt's deadline's to judge.)
  const kept = { keepAlive: true, timeout: 4000 };
  const agents = { 'http:': new HttpAgent(kept), 'https:': new HttpsAgent({ ...kept, ...options.https }) };
  return async (input, init = {}) => {
    if (input instanceof Request) throw new TypeError('the default transport takes a URL and its options, not a Request');
    let url = new URL(String(input));
    let method = (init.method ?? 'GET').toUpperCase();
    let body = bodyText(init.body);
    let headers = requestHeaders(init.headers, body);
    const redirect = init.redirect ?? 'follow';
    const signal = init.signal ?? undefined;
    for (let hops = 0; ; hops++) {
      const response = await send(agents, url, method, headers, body, signal);
      const location = response.headers.get('location');
      if (redirect === 'manual' || !isRedirect(response.status) || location === null) return response;
      await response.body?.cancel();
      // The target is not named: a redirect may carry a signed URL.
      if (redirect === 'error') throw failed(new Error(`unexpected redirect (${response.status})`));
      if (hops >= maxRedirects) throw failed(new Error(`more than ${maxRedirects} redirects`));
      const next = new URL(location, url);
      if (next.origin !== url.origin) headers = without(headers, credentialHeaders);
      if ((response.status === 303 && method !== 'HEAD') || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        [method, body, headers] = ['GET', undefined, without(headers, bodyHeaders)];
      }
      url = next;
    }
  };
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  throw new TypeError('the default transport sends a string body only');
}

/** The caller's headers (names lower-cased), over `fetch`'s defaults; a string body's type and length as `fetch` gives them. */
function requestHeaders(init: RequestInit['headers'], body: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...defaultHeaders };
  for (const [name, value] of new Headers(init)) headers[name] = value;
  if (body !== undefined) {
    headers['content-type'] ??= 'text/plain;charset=UTF-8';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return headers;
}

const without = (headers: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !names.includes(name)));

const isRedirect = (status: number): boolean => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

function send(
  agents: Readonly<Record<'http:' | 'https:', HttpAgent>>,
  url: URL,
  method: string,
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<FetchResponse> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw failed(new Error(`unsupported protocol ${url.protocol}`));
    if (url.username !== '' || url.password !== '') throw new TypeError(`a URL with credentials cannot be fetched: ${url.origin}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req: ClientRequest = request(url, { method, headers, agent: agents[url.protocol] });
    let res: IncomingMessage | undefined;
    const abort = (): void => {
      req.destroy();
      res?.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', abort);
    req.on('error', (error) => {
      release();
      reject(failed(error));
    });
    req.once('response', (message: IncomingMessage) => {
      res = message;
      message.once('close', release);
      // A body left unread may still fail (the connection reset): its reader, if any, gets the error.
      message.on('error', () => undefined);
      resolve(responseOf(message, method));
    });
    req.end(body);
  });
}

/** The answer, its body decoded as it is read; HEAD, 1xx, 204 and 304 have none. */
function responseOf(res: IncomingMessage, method: string): FetchResponse {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) {
    res.resume();
    return { status, headers, body: null, bodyUsed: false, text: () => Promise.resolve('') };
  }
  const stream = decoded(res, headers.get('content-encoding'));
  let used = false;
  const chunks = async function* (): AsyncGenerator<Uint8Array> {
    used = true;
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error: unknown) {
      throw terminated(error);
    }
  };
  return {
    status,
    headers,
    body: {
      [Symbol.asyncIterator]: chunks,
      cancel: () => {
        used = true;
        res.destroy();
        stream.destroy();
        return Promise.resolve();
      },
    },
    get bodyUsed() {
      return used;
    },
    async text() {
      const parts: Buffer[] = [];
      for await (const chunk of chunks()) parts.push(chunk as Buffer);
      return utf8Text(Buffer.concat(parts));
    },
  };
}

const decoders: Readonly<Record<string, () => Readable>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** The body through the decoders its `content-encoding` names, last applied first; with a coding it does not know, as it came (as `fetch` leaves it). */
function decoded(res: IncomingMessage, encoding: string | null): Readable {
  const codings = (encoding ?? '')
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity')
    .reverse();
  if (codings.length === 0 || codings.some((coding) => !Object.hasOwn(decoders, coding))) return res;
  return pipeline([res, ...codings.map((coding) => decoders[coding]!())], () => undefined) as unknown as Readable;
}
