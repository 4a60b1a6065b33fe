import { IngestError, ResponseTooLargeError, TimeoutError } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import type { Fetch, FetchResponse } from '../runtime/runtime.js';
import { utf8Text } from '../runtime/utf8Text.js';
import { redactUrl } from './redactUrl.js';
import { transportErrorText } from './transportErrorText.js';

/** A complete response: status, headers and the whole body, read within the attempt's deadline. */
export interface AttemptResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  readonly bytes: number;
  readonly latencyMs: number;
}

// Internal, not exported: the page stream retries it as an AttemptFailure, a login unwraps it to the transport's error.
/** The request never produced a complete response (reset, refused, empty reply). */
export class NetworkError extends IngestError {
  override name = 'NetworkError';
  constructor(
    message: string,
    readonly url: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface DeadlineOptions {
  readonly fetch: Fetch;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** The run's signal: aborting it aborts the attempt and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Sent after `accept: application/json`, which they may override. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default 'GET'. */
  readonly method?: string;
  readonly body?: string;
  /** `manual`: a 3xx is answered as it is, for the caller to decide where credentials may go. Default: fetch's own (`follow`). */
  readonly redirect?: 'follow' | 'manual';
  /** Called when the head arrives, before the body is read: a later failure still knows the status. */
  readonly onHead?: (status: number) => void;
  /** A longer body (decompressed) is cut off there and refused with `ResponseTooLargeError`. Default: no limit. */
  readonly maxBodyBytes?: number | undefined;
}

/** `accept: application/json`, then `headers`: names are case-insensitive, so a later `Accept` replaces it rather than joining it. */
function requestHeaders(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  const merged: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(headers)) merged[name.toLowerCase()] = value;
  return merged;
}

/**
 * The body as text (as `Response.text()` decodes it), refusing one longer than `maxBytes`: by its
 * declared length when it is not compressed, else counted as it arrives, after decompression, so a
 * huge body or a gzip bomb costs at most `maxBytes` of memory.
 */
async function readBody(response: FetchResponse, maxBytes: number | undefined, url: string): Promise<string> {
  if (maxBytes === undefined || response.body === null) return response.text();
  const tooLarge = (): ResponseTooLargeError => {
    const where = redactUrl(url);
    return new ResponseTooLargeError(
      `${where} sent a body larger than maxBodyBytes ${maxBytes} (counted after decompression): cut off there, not retried; raise maxBodyBytes or ask for smaller pages`,
      maxBytes,
      where,
    );
  };
  if (!response.headers.has('content-encoding') && Number(response.headers.get('content-length')) > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  // Iterated, not read through getReader(): an injected fetch (node-fetch) may give a Node stream.
  // Leaving the loop early cancels the body.
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return utf8Text(Buffer.concat(chunks, bytes));
}

/**
 * One attempt: GET (or `method`) `url` with a deadline (on the injected clock) that covers the
 * headers AND the body, so a trickling body is cut off too. Rejects with `TimeoutError` at the deadline,
 * with the run signal's reason when the run is aborted, or with `NetworkError` otherwise.
 */
export async function fetchWithDeadline(url: string, options: DeadlineOptions): Promise<AttemptResponse> {
  const { clock, timeoutMs, signal } = options;
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  const started = clock.now();
  let timedOut = false;
  let rejectCut: (reason: unknown) => void = () => undefined;
  // Settles when the attempt must stop, whatever the fetch implementation does with its signal.
  const cut = new Promise<never>((_, reject) => (rejectCut = reject));
  cut.catch(() => undefined);
  const stop = (reason: unknown): void => {
    controller.abort(reason);
    rejectCut(reason);
  };
  const onRunAbort = (): void => stop(signal?.reason);
  signal?.addEventListener('abort', onRunAbort, { once: true });
  const timer = clock.setTimeout(() => {
    timedOut = true;
    stop(new TimeoutError(`no complete response from ${redactUrl(url)} within ${timeoutMs} ms`, timeoutMs));
  }, timeoutMs);
  let response: FetchResponse | undefined;
  try {
    response = await Promise.race([
      options.fetch(url, {
        method: options.method ?? 'GET',
        headers: requestHeaders(options.headers),
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.redirect === undefined ? {} : { redirect: options.redirect }),
        signal: controller.signal,
      }),
      cut,
    ]);
    options.onHead?.(response.status);
    const body = await Promise.race([readBody(response, options.maxBodyBytes, url), cut]);
    return {
      status: response.status,
      headers: response.headers,
      body,
      bytes: Buffer.byteLength(body),
      latencyMs: clock.now() - started,
    };
  } catch (error: unknown) {
    if (signal?.aborted) throw signal.reason;
    if (timedOut) throw new TimeoutError(`no complete response from ${redactUrl(url)} within ${timeoutMs} ms`, timeoutMs, { cause: error });
    if (error instanceof IngestError) throw error;
    throw new NetworkError(`request to ${redactUrl(url)} failed: ${transportErrorText(error)}`, redactUrl(url), { cause: error });
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', onRunAbort);
    // Release the socket of an abandoned body.
    if (controller.signal.aborted && response?.body && !response.bodyUsed) response.body.cancel().catch(() => undefined);
  }
}
