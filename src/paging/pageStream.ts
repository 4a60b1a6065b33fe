// Over 300 lines on purpose: one class holds one run's state (slots, the limiter, the retry
// budget, the auth gate, the stage chain), which every step of a page's life reads and changes;
// what does not need that state already lives beside it (pagePlanner, authGate, attemptFailure,
// pagination, streamEvent).
import { setMaxListeners } from 'node:events';
import {
  EMPTY,
  Observable,
  Subject,
  catchError,
  concat,
  concatMap,
  defer,
  finalize,
  from,
  map,
  mergeMap,
  of,
  race,
  retry,
  tap,
  throwError,
  timer,
  type Subscriber,
} from 'rxjs';
import { HttpStatusError, RateLimitError, ResponseTooLargeError, TimeoutError } from '../errors.js';
import { AuthGate, type SentAuth } from './authGate.js';
import { fullJitterBackoff } from '../http/backoff.js';
import { classifyStatus } from '../http/classify.js';
import { fetchWithDeadline, type AttemptResponse } from '../http/fetchWithDeadline.js';
import { redactUrl } from '../http/redactUrl.js';
import { RetryLimitError, describeFailures, type AttemptFailureNote } from '../http/retryLimitError.js';
import { parseRateLimitReset, parseRetryAfter } from '../http/retryAfter.js';
import { attemptTimeoutMs, maxInFlight } from '../pacing/concurrency.js';
import { InFlightGate } from '../pacing/inFlightGate.js';
import type { LatencyTracker } from '../pacing/latencyTracker.js';
import { createPacer } from '../pacing/pacer.js';
import { PipeLimit } from '../pacing/pipeLimit.js';
import type { RateLimiter } from '../pacing/rateLimiter.js';
import { RetryBudget } from '../pacing/retryBudget.js';
import { aborted$ } from './aborted.js';
import { AttemptFailure, StopDispatch, errorReason } from './attemptFailure.js';
import { createPagePlanner, type PagePlanner } from './pagePlanner.js';
import { hedgeDelayMs, hedgedRequest, type HedgeOptions } from './hedgedRequest.js';
import { PagingError } from './pagingError.js';
import { ProgressGuard } from './progressGuard.js';
import {
  resolvePageStreamOptions,
  type PageStreamDeps,
  type PageStreamOptions,
  type ResolvedPageStreamOptions,
  type StagedPage,
  type StagedPageText,
} from './pageStreamOptions.js';
import type { PageFacts } from './pageFacts.js';
import { holdsSecret } from '../logging/redaction.js';
import { recordCount } from '../staging/recordCount.js';
import { recordKey } from '../staging/recordKey.js';
import { serialise } from '../staging/serialise.js';
import {
  BadBodyError,
  isUrlChain,
  movingParam,
  nextUrlAccess,
  pageUrl,
  parsePage,
  scanPage,
  withQuery,
  withoutQuery,
  type PageJob,
} from './pagination.js';
import type { StreamEvent } from './streamEvent.js';
import { noGauges, type StreamGauges } from './streamGauges.js';

/** The page stream: its events (what a run counts), plus gauges and the current in-flight cap. */
export type PageStream = Observable<StreamEvent> & {
  /** Gauges of the latest run (subscription), readable at any time; counts come from the events. */
  gauges(): StreamGauges;
  /** The current cap of requests in flight: Little's law, slots lent by late requests, what the API can take (size keep-alive pools to `maxInFlightCap`). */
  maxInFlight(): number;
};

interface PageState {
  attempts: number;
  failures: number;
  declines: number;
  notes: AttemptFailureNote[];
  release: (() => void) | undefined;
}

interface FetchedPage {
  readonly job: PageJob;
  readonly facts: PageFacts;
  /** Its records: parsed or, with `keepRawRecords`, as text. */
  readonly records: { readonly records: unknown[] } | Omit<StagedPageText, 'keys'>;
  /** Its records' keys (`recordKey` of the stream's key field). */
  readonly keys: (string | null)[];
  /** Parsing the body, ms on the run's clock. */
  readonly parseMs: number;
  readonly response: AttemptResponse;
  readonly fetchedAt: number;
  readonly state: PageState;
  /** Paging cannot safely go on after this page: fail once it is staged (so resume starts after it). */
  planError?: unknown;
}

/** A fetched page as it waits to be staged. */
interface ReadyPage {
  readonly page: StagedPage;
  /** Parsing its body and cutting out its records' text, ms. */
  readonly parseMs: number;
  readonly planError: unknown;
}

/** A 503 asking for longer than this is an outage: pause everyone, then probe. */
const outageRetryAfterMs = 120_000;
/** A header that took this long came from a login: the rate token taken before it is stale. */
const staleTokenMs = 100;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;
/** 401s a page may see (each one refreshes the token) before the run gives up on it. */
const maxUnauthorizedPerPage = 10;
/** Pages a stream may hold (in flight or waiting to be staged) per request it may have in flight, at most. */
const heldPagesPerRequest = 4;

/**
 * Fetches every page of an endpoint, exactly once, through one shared rate limiter, with
 * per-attempt deadlines, classified retries and run-wide pauses (docs/pacing.md); stages each page
 * via `deps.stage` and emits what happened. Each subscription is one run; unsubscribing or
 * aborting `options.signal` cancels everything in flight. Throws `ConfigError` for bad options.
 */
export function pageStream(options: PageStreamOptions, deps: PageStreamDeps): PageStream {
  const resolved = resolvePageStreamOptions(options);
  let current: StreamRun | undefined;
  const events = new Observable<StreamEvent>((subscriber) => {
    const run = new StreamRun(options, resolved, deps, subscriber);
    current = run;
    run.start();
    return () => run.cancel();
  });
  return Object.assign(events, {
    gauges: () => current?.gauges() ?? noGauges,
    maxInFlight: () => current?.maxInFlight() ?? 2,
  });
}

class StreamRun {
  readonly #options: PageStreamOptions;
  readonly #o: ResolvedPageStreamOptions;
  readonly #deps: PageStreamDeps;
  readonly #subscriber: Subscriber<StreamEvent>;
  readonly #run = new AbortController();
  readonly #stop = new AbortController();
  readonly #dispatchSignal: AbortSignal;
  readonly #latency: LatencyTracker;
  readonly #limiter: RateLimiter;
  /** The limiter is the stream's own (disposed with it), not one shared with other streams. */
  readonly #ownsPacer: boolean;
  #unlinkResume: () => void = () => undefined;
  readonly #budget: RetryBudget;
  readonly #gate: InFlightGate;
  readonly #auth: AuthGate;
  /** The API's origin: the only one that gets credentials and the configured headers. */
  readonly #origin: string;
  /** What `stream.completed` says was staged, for the machine to check against the events it counted. */
  #pagesStaged = 0;
  #recordsStaged = 0;
  readonly #jobs = new Subject<PageJob>();
  readonly #recent: AttemptFailureNote[] = [];
  #planner: PagePlanner | undefined;
  readonly #progress: ProgressGuard;
  readonly #keyField: string;
  #outstanding = 0;
  /** Body bytes and count of the pages fetched so far: their mean sizes a slot. */
  #bodyBytes = 0;
  #bodies = 0;
  /** Pages fetched and waiting to be staged: whoever stages next takes them all, in one commit. */
  readonly #toStage: {
    readonly page: StagedPage;
    /** Parsing its body and cutting out its records' text, ms. */
    readonly parseMs: number;
    readonly staged: () => void;
    readonly failed: (error: unknown) => void;
  }[] = [];
  /** The staging under way (settled when nothing is staging). */
  #stageChain: Promise<void> = Promise.resolve();
  #staging = false;
  /** Pages fetched and not yet staged: each holds a slot beside the requests in flight. */
  #awaitingStage = 0;
  /** Requests out now (a hedged copy is not counted). */
  #requesting = 0;
  /**
   * Those that turned late (the hedge's delay), by when each was sent: each lends its slot again
   * (`#requests`), and a 429's cut counts them as quota used (a refusal comes back fast).
   */
  readonly #late = new Set<{ readonly sentAt: number }>();
  readonly #pipe: PipeLimit;
  #deadlineTimer: unknown;
  #deadlineError: TimeoutError | undefined;
  #done = false;
  #unlinkSignal: () => void = () => undefined;

  constructor(options: PageStreamOptions, resolved: ResolvedPageStreamOptions, deps: PageStreamDeps, subscriber: Subscriber<StreamEvent>) {
    this.#options = options;
    this.#o = resolved;
    this.#deps = deps;
    this.#subscriber = subscriber;
    const { clock } = deps.runtime;
    this.#dispatchSignal = AbortSignal.any([this.#run.signal, this.#stop.signal]);
    // Every waiting page listens to these: many listeners are expected, not a leak.
    setMaxListeners(0, this.#run.signal, this.#stop.signal, this.#dispatchSignal);
    this.#ownsPacer = deps.pacer === undefined;
    ({ limiter: this.#limiter, latency: this.#latency } =
      deps.pacer ?? createPacer(clock, { rateLimit: resolved.rateLimit, maxRate: resolved.maxRate }));
    this.#budget = new RetryBudget(clock, { ...options.retryBudget, maxRetryShare: resolved.maxRetryShare });
    this.#gate = new InFlightGate(() => this.#slots());
    this.#pipe = new PipeLimit(clock);
    this.#auth = new AuthGate(deps.auth, options.url, (event) => this.#emit(event));
    this.#progress = new ProgressGuard(redactUrl(options.url), movingParam(resolved.pagination));
    this.#keyField = options.keyField ?? 'id';
    this.#origin = new URL(options.url).origin;
  }

  /** The cap of requests in flight: Little's law on the measured rate and latency with slots lent by late requests, what the API can take (PipeLimit), within the slots. */
  maxInFlight(): number {
    return Math.min(this.#requests(), this.#slots());
  }

  /**
   * Little's law's cap, and one more for each request that turned late (the hedge's delay): a
   * trickling body or an answer that never comes holds its slot until its timeout (10 s before 50
   * answers), and a few of them stalled `hostile` R = 4 for 5 s. At most twice that cap, within
   * `maxInFlight` and what the API can take (PipeLimit: there a late answer is one waiting its turn).
   */
  #requests(): number {
    const little = this.#little();
    return Math.min(little + Math.min(this.#late.size, little), this.#o.maxInFlight, this.#pipe.cap);
  }

  #little(): number {
    return maxInFlight(this.#limiter.rate, this.#latency.quantile(0.99) ?? 1000, this.#o.maxInFlight);
  }

  /**
   * Slots (a page each, from its request until it is staged): the requests' cap, one more for each
   * page fetched and waiting to be staged (a commit holds them for tens of ms: counted against the
   * requests, they cost a small-page run a third of its requests in flight), and no more than
   * `maxBytesHeld` holds of pages of the mean size seen.
   */
  #slots(): number {
    const wanted = this.#requests() + this.#awaitingStage;
    if (this.#bodies === 0) return wanted;
    return Math.max(1, Math.min(wanted, Math.floor(this.#o.maxBytesHeld / (this.#bodyBytes / this.#bodies))));
  }

  gauges(): StreamGauges {
    return { pauseMs: this.#limiter.totalPauseMs, peakInFlight: this.#gate.peak, ratePerSecond: this.#limiter.rate };
  }

  start(): void {
    const { signal } = this.#options;
    if (signal) {
      const onAbort = (): void => this.#run.abort(signal.reason);
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unlinkSignal = () => signal.removeEventListener('abort', onAbort);
    }
    if (this.#run.signal.aborted) {
      this.#fail(this.#run.signal.reason);
      return;
    }
    this.#unlinkResume = this.#limiter.onResume(() => this.#emit({ type: 'rateLimit.resumed' }));
    const { deadlineSeconds } = this.#o;
    if (deadlineSeconds !== undefined) {
      const deadlineMs = deadlineSeconds * 1000;
      this.#deadlineTimer = this.#deps.runtime.clock.setTimeout(() => {
        this.#deadlineError = new TimeoutError(
          `the stream's deadline of ${deadlineSeconds} s passed before every page was fetched; committed pages are kept, rerun to resume; last failures: ${describeFailures(this.#recent)}`,
          deadlineMs,
        );
        this.#stop.abort(new StopDispatch('deadline'));
      }, deadlineMs);
    }
    this.#jobs
      .pipe(mergeMap((job) => this.#page$(job), heldPagesPerRequest * this.#o.maxInFlight))
      .subscribe({ error: (error: unknown) => this.#fail(error), complete: () => this.#complete() });
    try {
      this.#planner = createPagePlanner(this.#o.pagination, this.#options.resume, this.#o.maxPages, (page, message) =>
        this.#anomaly(page, message),
      );
      const initial = this.#planner.initial();
      if (initial.length === 0) this.#jobs.complete();
      else this.#enqueue(initial);
    } catch (error: unknown) {
      this.#fail(error);
    }
  }

  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#run.abort(new DOMException('the page stream was unsubscribed', 'AbortError'));
    this.#dispose();
  }

  #emit(event: StreamEvent): void {
    if (!this.#done) this.#subscriber.next(event);
  }

  #anomaly(page: number, message: string): void {
    this.#deps.runtime.logger.warn({ page, anomaly: message }, 'pagination anomaly');
    this.#emit({ type: 'paging.anomaly', page, message });
  }

  #enqueue(jobs: readonly PageJob[]): void {
    this.#outstanding += jobs.length;
    for (const job of jobs) this.#jobs.next(job);
  }

  /** One page: fetch with retries, stage, release its slot; a deadline stop ends it quietly. */
  #page$(job: PageJob): Observable<never> {
    const state: PageState = { attempts: 0, failures: 0, declines: 0, notes: [], release: undefined };
    return this.#fetch$(job, state).pipe(
      map((fetched) => this.#ready(fetched)),
      concatMap((ready) =>
        concat(
          this.#stage$(ready),
          defer(() => (ready.planError === undefined ? EMPTY : throwError(() => ready.planError))),
        ),
      ),
      catchError((error: unknown) => (error instanceof StopDispatch ? EMPTY : throwError(() => error))),
      finalize(() => {
        state.release?.();
        state.release = undefined;
        this.#outstanding--;
        if (this.#outstanding === 0) this.#jobs.complete();
      }),
    );
  }

  #fetch$(job: PageJob, state: PageState): Observable<FetchedPage> {
    return defer(() => from(this.#slot(state))).pipe(
      // Not `#slot(state).then(...)`: a promise chained before the wait would be old too (`#slot`).
      concatMap(() => this.#attempt(job, state)),
      retry({
        count: this.#o.maxAttemptsPerPage + this.#o.maxDeclinesPerPage + maxUnauthorizedPerPage,
        delay: (error: unknown) => this.#retryDelay(job, state, error),
        resetOnSuccess: false,
      }),
      catchError((error: unknown) => throwError(() => this.#finalError(job, state, error))),
      tap((fetched) => {
        this.#bodyBytes += fetched.response.bytes;
        this.#bodies++;
        try {
          const { records } = fetched;
          this.#progress.fetched(
            job.page,
            fetched.keys,
            'rawRecords' in records ? (i) => records.rawRecords[i] : (i) => serialise(records.records[i]),
            fetched.response.body,
          );
          const next = this.#planner!.fetched(job, fetched.facts);
          if (isUrlChain(this.#o.pagination.paginator)) {
            for (const j of next) nextUrlAccess(j.cursor!, this.#origin, this.#options.followHosts ?? [], job.page, 'next page');
          }
          this.#enqueue(next);
        } catch (error: unknown) {
          fetched.planError = error;
        }
      }),
    );
  }

  /**
   * Waits for the page's slot. Apart from the attempt on purpose: a page waits here behind up to 4
   * per slot, long enough for this frame to be in V8's old generation, and an old object keeps the
   * young ones it points to alive through every young collection: the page's body, made in an
   * attempt begun here, would be copied and promoted each time.
   */
  async #slot(state: PageState): Promise<void> {
    // A page asked again goes before the pages not asked yet: behind them (up to 4 per slot) its
    // retry waited for all of them, and the pages that failed early were all asked again at the end.
    state.release = await this.#gate.acquire(this.#dispatchSignal, state.attempts > 0);
  }

  async #attempt(job: PageJob, state: PageState): Promise<FetchedPage> {
    const { clock } = this.#deps.runtime;
    const dispatch = this.#dispatchSignal;
    try {
      dispatch.throwIfAborted();
      let sent = await this.#turn(dispatch);
      state.attempts++;
      this.#countSent(job.page);
      const url = pageUrl(this.#options.url, this.#o.pagination, job);
      const { timeoutSeconds } = this.#o;
      const timeoutMs =
        timeoutSeconds !== undefined ? timeoutSeconds * 1000 : attemptTimeoutMs(this.#latency.quantile(0.99), this.#latency.count);
      let response: AttemptResponse;
      let answeredUrl: string;
      try {
        // The first copy goes with the header taken above, a copy with its own (hedging below).
        const first = sent;
        const send = async (signal: AbortSignal, copy?: SentAuth): Promise<{ response: AttemptResponse; url: string; sent: SentAuth }> => {
          const auth = copy ?? first;
          return { ...(await this.#request(url, auth, timeoutMs, job.page, signal)), sent: auth };
        };
        let late: { readonly sentAt: number } | undefined;
        const sentAt = clock.now();
        const onLate = (): void => {
          late = { sentAt };
          this.#late.add(late);
          this.#gate.pump();
        };
        this.#requesting++;
        try {
          ({ response, url: answeredUrl, sent } = await hedgedRequest(send, this.#hedging(job.page, dispatch, onLate)));
        } finally {
          this.#requesting--;
          if (late) this.#late.delete(late);
        }
        this.#pipe.responded(this.#requesting + 1, this.#limiter.rate, response.latencyMs);
      } catch (error: unknown) {
        // A body over maxBodyBytes is refused, not retried: asked again, it would be as long.
        if (
          this.#run.signal.aborted ||
          error instanceof PagingError ||
          error instanceof HttpStatusError ||
          error instanceof ResponseTooLargeError
        )
          throw error;
        const timedOut = error instanceof TimeoutError;
        this.#emit({ type: 'request.done', page: job.page, outcome: timedOut ? 'timeout' : 'network', bytes: 0 });
        this.#limiter.record('failure');
        const reason = timedOut
          ? `timeout: no complete response within ${timeoutMs} ms`
          : `network error: ${error instanceof Error ? error.message : String(error)}`;
        throw new AttemptFailure('transient', timedOut ? 'timeout' : 'network', undefined, reason, undefined, sent);
      }
      const { status, headers } = response;
      this.#emit({ type: 'request.done', page: job.page, outcome: String(status), bytes: response.bytes });
      this.#latency.record(response.latencyMs);
      this.#limiter.observeHeaders(headers);
      this.#gate.pump();
      const verdict = classifyStatus(status);
      if (verdict !== 'unauthorized') this.#auth.accepted(sent);
      switch (verdict) {
        case 'ok': {
          const parseStarted = clock.now();
          let page: Pick<FetchedPage, 'facts' | 'records' | 'keys'>;
          try {
            page = this.#parse(response.body, headers, answeredUrl);
          } catch (error: unknown) {
            if (!(error instanceof BadBodyError)) throw error;
            this.#limiter.record('failure');
            throw new AttemptFailure('transient', 'badBody', status, `bad body: ${error.message}`, undefined, sent);
          }
          // A next link that echoes the key is staged without it: the checkpoint holds no credential.
          const { next } = page.facts;
          if (next && isUrlChain(this.#o.pagination.paginator))
            page = { ...page, facts: { ...page.facts, next: withoutQuery(next, this.#options.credentialQuery) } };
          this.#limiter.record('success');
          this.#budget.succeeded();
          const fetchedAt = clock.now();
          return { job, ...page, parseMs: fetchedAt - parseStarted, response, fetchedAt, state };
        }
        case 'rateLimited': {
          const wait = parseRetryAfter(headers.get('retry-after'), clock.now()) ?? parseRateLimitReset(headers.get('ratelimit-reset'));
          throw new AttemptFailure('rateLimited', '429', status, 'rate limited', wait, sent);
        }
        case 'unauthorized':
          this.#limiter.record('other');
          throw new AttemptFailure('unauthorized', '401', status, 'unauthorized', undefined, sent);
        case 'transient':
          this.#limiter.record('failure');
          throw new AttemptFailure(
            'transient',
            String(status),
            status,
            errorReason(response),
            parseRetryAfter(headers.get('retry-after'), clock.now()),
            sent,
          );
        case 'permanent': {
          this.#limiter.record('other');
          const where = redactUrl(url);
          throw new HttpStatusError(
            `${where} answered ${status} (${errorReason(response)}): not retried, asking again will not change it`,
            status,
            where,
          );
        }
      }
    } catch (error: unknown) {
      state.release?.();
      state.release = undefined;
      throw error;
    }
  }

  /**
   * A request's turn at the rate and the header it goes with. A login may take seconds: pages held
   * up by one must not all fire at once afterwards on rate tokens taken before it. So wait for the
   * header first, and take a new token when the header at send time still needed a login. `waive`
   * gives up the wait for the token only: a login may be shared with other pages.
   */
  async #turn(dispatch: AbortSignal, waive?: AbortSignal): Promise<SentAuth> {
    const { clock } = this.#deps.runtime;
    const tokenSignal = waive === undefined ? dispatch : AbortSignal.any([dispatch, waive]);
    await this.#auth.header(dispatch);
    for (;;) {
      await this.#limiter.acquire(tokenSignal);
      const asked = clock.now();
      const sent = await this.#auth.header(dispatch);
      if (clock.now() - asked < staleTokenMs) return sent;
    }
  }

  /** A request of `page` goes out: the run's total and the retry budget count it. */
  #countSent(page: number): void {
    this.#budget.requested();
    this.#emit({ type: 'request.sent', page });
  }

  /**
   * How a request of `page` is hedged (hedgedRequest): late after twice the p95 latency, copied
   * only in the run's tail, where every page left holds a slot and so none waits for the turn at
   * the rate the copy takes. A copy is one more request sent; the one given up is `superseded`.
   */
  #hedging(page: number, dispatch: AbortSignal, onLate: () => void): HedgeOptions<SentAuth> {
    return {
      clock: this.#deps.runtime.clock,
      signal: this.#run.signal,
      delayMs: hedgeDelayMs(this.#latency.quantile(0.95), this.#latency.count),
      onLate,
      mayHedge: () => this.#outstanding <= this.#gate.held,
      // The copy takes its own turn and header (the token may have been refreshed or refused meanwhile), on
      // the dispatch signal as every header is: an auth provider may share one login between its callers.
      take: (waive) => this.#turn(dispatch, waive).catch(() => undefined),
      onCopy: (kind) => {
        if (kind === 'unused') this.#limiter.record('other');
        else this.#countSent(page);
      },
      onSuperseded: () => {
        this.#limiter.record('other');
        this.#emit({ type: 'request.done', page, outcome: 'superseded', bytes: 0 });
      },
    };
  }

  /**
   * One GET, its redirects followed here rather than by fetch: the API's origin gets the
   * credentials (headers and `credentialQuery`), a host in `followHosts` gets none, any other
   * origin is refused.
   */
  async #request(
    url: string,
    sent: SentAuth,
    timeoutMs: number,
    page: number,
    signal: AbortSignal,
  ): Promise<{ response: AttemptResponse; url: string }> {
    const { clock, fetch } = this.#deps.runtime;
    let target = url;
    for (let hops = 0; ; hops++) {
      const atApi = new URL(target).origin === this.#origin;
      const response = await fetchWithDeadline(atApi ? withQuery(target, this.#options.credentialQuery) : target, {
        fetch,
        clock,
        timeoutMs,
        signal,
        headers: atApi
          ? {
              ...this.#options.headers,
              ...(sent.header === undefined ? {} : { [this.#deps.auth.headerName ?? 'authorization']: sent.header }),
            }
          : {},
        redirect: 'manual',
        maxBodyBytes: this.#o.maxBodyBytes,
      });
      const location = redirectStatuses.has(response.status) ? response.headers.get('location') : null;
      if (location === null) return { response, url: target };
      if (hops === maxRedirects) {
        const where = redactUrl(url);
        throw new HttpStatusError(`${where} redirected more than ${maxRedirects} times: stopping`, response.status, where);
      }
      target = withoutQuery(new URL(location, target).toString(), this.#options.credentialQuery);
      nextUrlAccess(target, this.#origin, this.#options.followHosts ?? [], page, 'redirect');
    }
  }

  /** The retry decision: wait and try again, or end the run with a clear error. */
  #retryDelay(job: PageJob, state: PageState, error: unknown): Observable<unknown> {
    if (!(error instanceof AttemptFailure)) return throwError(() => error);
    const { page } = job;
    const { clock } = this.#deps.runtime;
    if (error.kind === 'unauthorized') {
      try {
        this.#auth.unauthorized(error.sent!);
      } catch (authError: unknown) {
        return throwError(() => authError);
      }
      return of(0);
    }
    if (error.kind === 'rateLimited') {
      state.declines++;
      const wait = error.retryAfterMs ?? 1000;
      if (wait > this.#o.maxWaitSeconds * 1000) return throwError(() => this.#waitTooLong(wait));
      // Honour the server's time as given; the jitter only spreads the restart (never earlier).
      const pauseMs = wait + this.#deps.runtime.random() * Math.min(1000, 0.1 * wait);
      this.#limiter.rateLimited(pauseMs, (since) => [...this.#late].filter((r) => r.sentAt > since).length);
      this.#emit({ type: 'rateLimit.hit', page, waitMs: Math.round(pauseMs), ratePerSecond: this.#limiter.rate, cause: 'rateLimit' });
      return of(0); // requeued: the attempt waits in the limiter, holding no slot
    }
    // The same ceiling for every wait a server asks for: a 503 may not hold the run longer than a 429 may.
    if (error.retryAfterMs !== undefined && error.retryAfterMs > this.#o.maxWaitSeconds * 1000) {
      return throwError(() => this.#waitTooLong(error.retryAfterMs!));
    }
    state.failures++;
    const note: AttemptFailureNote = { page, attempt: state.attempts, status: error.status, reason: error.reason };
    state.notes.push(note);
    this.#recent.push(note);
    if (this.#recent.length > 20) this.#recent.shift();
    if (state.failures >= this.#o.maxAttemptsPerPage) {
      return throwError(
        () =>
          new RetryLimitError(`page ${page} failed ${state.failures} times (at most ${this.#o.maxAttemptsPerPage} per page)`, state.notes),
      );
    }
    if (this.#budget.shareExceeded) {
      const share = Math.round(this.#budget.maxRetryShare * 100);
      return throwError(
        () => new RetryLimitError(`retries passed ${share}% of all requests: the API is failing too often to continue`, this.#recent),
      );
    }
    let wait = fullJitterBackoff(state.failures, this.#o.backoff, this.#deps.runtime.random);
    if (error.retryAfterMs !== undefined) {
      // The server is down and says until when: everyone waits, instead of each page finding out.
      const outagePause =
        error.retryAfterMs > outageRetryAfterMs ? this.#o.outagePauseMs : this.#limiter.outage ? error.retryAfterMs : undefined;
      if (outagePause !== undefined && this.#limiter.pausedUntil < clock.now() + outagePause) {
        this.#limiter.pause(outagePause);
        this.#emit({ type: 'rateLimit.hit', page, waitMs: outagePause, ratePerSecond: this.#limiter.rate, cause: 'outage' });
      }
      if (error.retryAfterMs <= outageRetryAfterMs) wait = Math.max(wait, error.retryAfterMs);
    }
    this.#emit({
      type: 'page.retry',
      page,
      attempt: state.attempts,
      status: error.status,
      outcome: error.key,
      reason: error.reason,
      waitMs: Math.round(wait),
    });
    this.#deps.runtime.logger.debug(
      { page, attempt: state.attempts, status: error.status, reason: error.reason, waitMs: Math.round(wait), at: clock.now() },
      'page retry',
    );
    return race(timer(wait, this.#deps.scheduler), aborted$(this.#dispatchSignal)).pipe(
      concatMap(() => from(this.#budget.acquire(this.#dispatchSignal))),
    );
  }

  #waitTooLong(waitMs: number): RateLimitError {
    return new RateLimitError(
      `${redactUrl(this.#options.url)} asks to wait ${Math.round(waitMs / 1000)} s (Retry-After), more than the allowed ${this.#o.maxWaitSeconds} s: stopping; committed pages are kept, rerun later to resume`,
      waitMs,
    );
  }

  /** What ends the run when a page's retries stop: the `retry` count itself is only a backstop. */
  #finalError(job: PageJob, state: PageState, error: unknown): unknown {
    if (!(error instanceof AttemptFailure)) return error;
    if (error.kind === 'rateLimited') {
      return new RateLimitError(
        `page ${job.page} was refused (429) ${state.declines} times: the API does not let us in; rerun later to resume`,
        error.retryAfterMs ?? 0,
      );
    }
    return new RetryLimitError(`page ${job.page} gave up after ${state.attempts} attempts`, state.notes);
  }

  /**
   * Parses a body into its facts, its records' keys and its records: parsed or, with
   * `keepRawRecords`, as their exact text, cut in one pass that makes no tree of objects: a page
   * waiting to be staged holds slices of its body, searched once for `recordSecrets`. Throws `BadBodyError`.
   */
  #parse(body: string, headers: Headers, url: string): Pick<FetchedPage, 'facts' | 'records' | 'keys'> {
    const { pagination } = this.#o;
    if (this.#options.keepRawRecords) {
      const { rawRecords, keys, refusals, longNumbers, facts } = scanPage(
        pagination,
        body,
        headers,
        url,
        this.#keyField,
        this.#options.recordLimits,
      );
      const secrets = this.#options.recordSecrets;
      const secretsFree = secrets === undefined ? undefined : !holdsSecret(secrets, body);
      return {
        facts,
        records: { rawRecords, longNumbers, ...(refusals && { refusals }), ...(secretsFree !== undefined && { secretsFree }) },
        keys,
      };
    }
    const { records, facts } = parsePage(pagination, body, headers, url);
    return { facts, records: { records }, keys: records.map((r) => recordKey(r, this.#keyField)) };
  }

  /** The page `stage` gets: with `keepRawRecords`, each record's text and key instead of the parsed records. */
  #ready({ job, facts, records, keys, parseMs, response, state, fetchedAt, planError }: FetchedPage): ReadyPage {
    const page: StagedPage = {
      page: job.page,
      ...('rawRecords' in records ? { ...records, keys } : { records: records.records }),
      fetchedAt,
      nextCursor: facts.next ?? null,
      attempts: state.attempts,
      latencyMs: response.latencyMs,
    };
    return { page, parseMs, planError };
  }

  #stage$({ page, parseMs }: ReadyPage): Observable<never> {
    return defer(() => {
      const staged = new Promise<void>((resolve, reject) => {
        this.#toStage.push({ page, parseMs, staged: resolve, failed: reject });
        this.#awaitingStage++;
        this.#gate.pump();
        if (!this.#staging) this.#stageChain = this.#stageWaiting();
      });
      return from(staged.finally(() => this.#awaitingStage--).then(() => page));
    }).pipe(
      concatMap((page) => {
        const records = recordCount(page);
        this.#pagesStaged++;
        this.#recordsStaged += records;
        this.#emit({
          type: 'page.staged',
          page: page.page,
          records,
          attempts: page.attempts,
          latencyMs: page.latencyMs,
          totalPages: this.#planner?.totalPages,
        });
        return EMPTY;
      }),
    );
  }

  /**
   * Stages the waiting pages, all of them at once (one transaction: the API outpacing staging
   * makes commits larger, not a queue longer), one batch at a time, never once the run is aborted.
   */
  async #stageWaiting(): Promise<void> {
    this.#staging = true;
    try {
      while (this.#toStage.length > 0) {
        const batch = this.#toStage.splice(0);
        try {
          this.#run.signal.throwIfAborted();
          const time = await this.#deps.runtime.clock.track(this.#deps.stage(batch.map((waiting) => waiting.page)));
          this.#emit({
            type: 'pages.committed',
            pages: batch.length,
            parseMs: batch.reduce((sum, waiting) => sum + waiting.parseMs, 0),
            ...(time ?? { transactions: 0, appendMs: 0, checkpointMs: 0, commitMs: 0 }),
          });
          for (const waiting of batch) waiting.staged();
        } catch (error: unknown) {
          for (const waiting of batch) waiting.failed(error);
        }
      }
    } finally {
      this.#staging = false;
    }
  }

  #complete(): void {
    if (this.#done) return;
    if (this.#deadlineError) {
      this.#fail(this.#deadlineError);
      return;
    }
    try {
      this.#planner?.finish(this.#recordsStaged);
    } catch (error: unknown) {
      this.#fail(error);
      return;
    }
    this.#emit({ type: 'stream.completed', pages: this.#pagesStaged, records: this.#recordsStaged });
    this.#done = true;
    this.#dispose();
    this.#subscriber.complete();
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#run.abort(error);
    this.#dispose();
    // Let a page being committed finish before the run reports its failure.
    void this.#stageChain.then(() => this.#subscriber.error(error));
  }

  #dispose(): void {
    if (this.#deadlineTimer !== undefined) this.#deps.runtime.clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    this.#unlinkResume();
    if (this.#ownsPacer) this.#limiter.dispose();
    this.#budget.dispose();
    this.#auth.close();
    this.#unlinkSignal();
    this.#jobs.complete();
  }
}
