import type { SchedulerLike } from 'rxjs';
import type { AuthProvider } from '../auth/authProvider.js';
import { checkRunOptions, type RunConfig, type RunOptionKey } from '../config/runConfig.js';
import { paginatorSchema, type PaginatorInput } from '../config/sourceSpec.js';
import { ConfigError } from '../errors.js';
import { defaultBackoffPolicy, type BackoffPolicy } from '../http/backoff.js';
import { maxInFlightCap } from '../pacing/concurrency.js';
import type { Pacer } from '../pacing/pacer.js';
import type { RetryBudgetOptions } from '../pacing/retryBudget.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ResumePoint } from './pagePlanner.js';
import type { Pagination } from './pagination.js';
import type { RecordLimits } from '../staging/recordCheck.js';
import type { StagingTime } from '../staging/stagingTypes.js';

/**
 * A page handed to `stage`: it counts as delivered once `stage` resolved. Its records come
 * parsed or, with `keepRawRecords`, as each record's exact source text (big integers intact)
 * and key (`recordKey` of the stream's `keyField`), without the parsed objects.
 */
export type StagedPage = StagedPageFields &
  (
    | {
        readonly records: unknown[];
        readonly rawRecords?: undefined;
        readonly keys?: undefined;
        readonly refusals?: undefined;
        readonly longNumbers?: undefined;
        readonly secretsFree?: undefined;
      }
    | StagedPageText
  );

/** The records of a page as text: `rawRecords[i]` is record i, `keys[i]` its key (null: none). */
export interface StagedPageText {
  readonly records?: undefined;
  readonly rawRecords: string[];
  readonly keys: (string | null)[];
  /** With `recordLimits`: why `recordRefusal` refuses record i under them (undefined: it does not). */
  readonly refusals?: (string | undefined)[];
  /** The body held a number long enough to be an integer beyond 2^53; false lets the final file skip looking for them. */
  readonly longNumbers?: boolean;
  /** With `recordSecrets`: the body holds none of them, so none of its records does. */
  readonly secretsFree?: boolean;
}

interface StagedPageFields {
  readonly page: number;
  /** Clock time the response was complete. */
  readonly fetchedAt: number;
  /** The cursor (or next URL) after this page for chained paging; null at the end or for indexed paging. */
  readonly nextCursor: string | null;
  /** Attempts this page took, including 429s and 401s. */
  readonly attempts: number;
  /** Latency of the attempt that succeeded, ms. */
  readonly latencyMs: number;
}

/**
 * The run options the page stream takes, under the run's names and units (seconds, requests/s);
 * declared once, with their defaults, in `runConfigSchema` (src/config).
 */
export const pageStreamRunOptionKeys = [
  'maxPages',
  'maxAttemptsPerPage',
  'maxWaitSeconds',
  'timeoutSeconds',
  'deadlineSeconds',
  'rateLimit',
  'maxRate',
  'maxRetryShare',
  'maxBodyBytes',
] as const satisfies readonly RunOptionKey[];

export type PageStreamRunOptionKey = (typeof pageStreamRunOptionKeys)[number];

export interface PageStreamOptions {
  /** The endpoint, e.g. `http://127.0.0.1:8080/customers` (its query parameters are kept). */
  readonly url: string;
  /** How the endpoint pages, as a source file's `paginator` (docs/source.md); its defaults apply. */
  readonly paginator: PaginatorInput;
  /** The dotted path of the records' array in a page's body; `$` = the body itself. */
  readonly records: string;
  /** Sent with every request to the endpoint's origin (never to another one). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Query parameters that are credentials (an API key in the query): added to every request to the
   * endpoint's origin, and removed from next links and redirects, so that no URL kept holds them.
   */
  readonly credentialQuery?: Readonly<Record<string, string>> | undefined;
  /** Hosts a next link or URL may lead to, followed without credentials or headers; any other origin is refused. */
  readonly followHosts?: readonly string[] | undefined;
  /** The records' key field (default `id`): pages whose keys repeat an earlier page's are not advancing. */
  readonly keyField?: string | undefined;
  /** Pages committed by an earlier run: never fetched again. */
  readonly resume?: ResumePoint | undefined;
  /** Aborting it cancels everything in flight; nothing is staged afterwards. */
  readonly signal?: AbortSignal | undefined;
  /** Stop paging beyond this many pages (a server that never ends). Run option `maxPages`. */
  readonly maxPages?: RunConfig['maxPages'] | undefined;
  /** Overall deadline of the stream, s from the start: then stop dispatching and fail. Run option `deadlineSeconds`. */
  readonly deadlineSeconds?: RunConfig['deadlineSeconds'] | undefined;
  /** A fixed deadline per attempt, s; absent: adaptive, clamp(2 × p99 latency, 5 s, 60 s). Run option `timeoutSeconds`. */
  readonly timeoutSeconds?: RunConfig['timeoutSeconds'] | undefined;
  /** Failed attempts per page before the run fails (429 and 401 not counted). Run option `maxAttemptsPerPage`. */
  readonly maxAttemptsPerPage?: RunConfig['maxAttemptsPerPage'] | undefined;
  /** 429 answers per page before the run fails (a server that never lets us in). Default 100. */
  readonly maxDeclinesPerPage?: number | undefined;
  readonly backoff?: BackoffPolicy | undefined;
  /** The API's known rate limit, req/s (learned from the server when absent). Run option `rateLimit`. */
  readonly rateLimit?: RunConfig['rateLimit'] | undefined;
  /** Never send faster than this, req/s. Run option `maxRate`. */
  readonly maxRate?: RunConfig['maxRate'] | undefined;
  /** The run fails once retries exceed this share of requests. Run option `maxRetryShare`. */
  readonly maxRetryShare?: RunConfig['maxRetryShare'] | undefined;
  /** A longer response body (decompressed) is cut off and fails the stream. Run option `maxBodyBytes`. */
  readonly maxBodyBytes?: RunConfig['maxBodyBytes'] | undefined;
  /** The retry budget's own knobs (the share it allows is `maxRetryShare`). */
  readonly retryBudget?: Omit<RetryBudgetOptions, 'maxRetryShare'> | undefined;
  /** The longest `Retry-After` (of a 429 or a 503) we honour, s; beyond it the run fails. Run option `maxWaitSeconds`. */
  readonly maxWaitSeconds?: RunConfig['maxWaitSeconds'] | undefined;
  /** A 503 `Retry-After` above this is an outage: pause everyone this long, then probe. Default 120 s. */
  readonly outagePauseMs?: number | undefined;
  /** Upper bound of the Little's-law in-flight cap. Default 64. */
  readonly maxInFlight?: number | undefined;
  /**
   * Bytes of page bodies the slots may hold (a slot holds a page from its request until it is
   * staged; sized by the mean body seen): the fetch phase's memory is bounded by what it holds,
   * not by a page count, so small pages from a slow API get the concurrency they need. Default 4 MiB.
   */
  readonly maxBytesHeld?: number | undefined;
  /**
   * Hand `stage` each record's exact source text and key (`rawRecords`, `keys`) instead of the
   * parsed records, which are then dropped as soon as the page is planned: a page waiting to be
   * staged holds its body's text, not a tree of objects. Default false.
   */
  readonly keepRawRecords?: boolean | undefined;
  /**
   * With `keepRawRecords`: each record is checked against these bounds (`recordRefusal`) as its page
   * arrives, while earlier pages commit, instead of in the transaction that stages it (`refusals`).
   */
  readonly recordLimits?: RecordLimits | undefined;
  /**
   * With `keepRawRecords`: the run's configured secrets (`secretPattern`), searched for once in each
   * body; a page whose body holds none is `secretsFree`, and staging need not search its records
   * one by one: the same search, without 137 of the 884 MB a run of 1M records allocated.
   */
  readonly recordSecrets?: RegExp | undefined;
}

export interface PageStreamDeps {
  readonly runtime: Runtime;
  readonly auth: AuthProvider;
  /** `clockScheduler(runtime.clock)`: backoff timers run on it. */
  readonly scheduler: SchedulerLike;
  /**
   * Commits pages (records + checkpoints; one transaction for those waiting together); each is
   * delivered once this resolves. Resolving with the time it took (`StagingTime`) puts it in the
   * `pages.committed` event.
   */
  readonly stage: (pages: readonly StagedPage[]) => Promise<StagingTime | void>;
  /**
   * The API origin's pacer, shared with the streams of its other resources (its owner disposes it);
   * absent, the stream paces itself with its own, from `rateLimit` and `maxRate`.
   */
  readonly pacer?: Pacer | undefined;
}

/** The options once validated, every default applied: the run options under their own names. */
export type ResolvedPageStreamOptions = Pick<RunConfig, PageStreamRunOptionKey> & {
  readonly pagination: Pagination;
  readonly maxDeclinesPerPage: number;
  readonly backoff: BackoffPolicy;
  readonly outagePauseMs: number;
  readonly maxInFlight: number;
  readonly maxBytesHeld: number;
};

/**
 * Validates the options, naming every invalid one: the run options by their declaration in
 * src/config (whose defaults apply), the stream's own knobs here (their defaults declared once, here).
 */
export function resolvePageStreamOptions(options: PageStreamOptions): ResolvedPageStreamOptions {
  const problems: string[] = [];
  try {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`page stream option "url": must be http or https`);
  } catch {
    problems.push(`page stream option "url": not a valid URL`);
  }
  const runOptions = checkRunOptions(pageStreamRunOptionKeys, options);
  problems.push(...runOptions.problems.map((problem) => `page stream option ${problem}`));
  const positiveInt = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) problems.push(`page stream option "${name}": must be a positive integer, got ${value}`);
    return value;
  };
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!(value > 0) || !Number.isFinite(value)) problems.push(`page stream option "${name}": must be a positive number, got ${value}`);
    return value;
  };
  const paginator = paginatorSchema.safeParse(options.paginator);
  if (!paginator.success) {
    for (const issue of paginator.error.issues)
      problems.push(`page stream option "${['paginator', ...issue.path].join('.')}": ${issue.message}`);
  }
  if (typeof options.records !== 'string')
    problems.push(`page stream option "records": expected a dotted path, or "$" for the body itself`);
  const backoff = options.backoff ?? defaultBackoffPolicy;
  if (!(backoff.baseMs > 0 && backoff.factor >= 1 && backoff.capMs >= backoff.baseMs)) {
    problems.push(`page stream option "backoff": needs baseMs > 0, factor >= 1 and capMs >= baseMs`);
  }
  const own = {
    maxDeclinesPerPage: positiveInt('maxDeclinesPerPage', options.maxDeclinesPerPage, 100),
    backoff,
    outagePauseMs: positive('outagePauseMs', options.outagePauseMs, 120_000),
    maxInFlight: Math.min(maxInFlightCap, positiveInt('maxInFlight', options.maxInFlight, maxInFlightCap)),
    maxBytesHeld: positiveInt('maxBytesHeld', options.maxBytesHeld, 4 * 1024 * 1024),
  };
  if (problems.length > 0 || runOptions.values === undefined || !paginator.success) throw new ConfigError(problems);
  return { ...runOptions.values, ...own, pagination: { paginator: paginator.data, records: options.records } };
}
