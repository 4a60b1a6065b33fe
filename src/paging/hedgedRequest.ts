import type { Clock } from '../runtime/clock.js';

/** Answers needed before "late" follows their latency. */
const hedgeWarmupSamples = 20;
/** Late before then: a first page that meets a slow answer holds the whole run (nothing else is planned yet). */
const hedgeColdMs = 2000;
/** Never sooner than this, whatever the latencies: a fast API's jitter is not a straggler. */
const hedgeMinMs = 300;

/**
 * How long a request may take before a copy of it is sent: twice the p95 of the answers so far,
 * at least 300 ms; 2 s before 20 answers. The stragglers it cuts are slow answers and trickling
 * bodies among the last pages, the first page's too (nothing else is planned until it answers,
 * and its timeout is 10 s): docs/pacing.md has the measured gain.
 */
export function hedgeDelayMs(p95Ms: number | undefined, samples: number): number {
  return p95Ms === undefined || samples < hedgeWarmupSamples ? hedgeColdMs : Math.max(hedgeMinMs, 2 * p95Ms);
}

/** The abort reason of the copy that settled second: it was given up, its answer (if any) unread. */
export class SupersededRequest extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('another copy of the request answered first');
  }
}

export interface HedgeOptions<C> {
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** The run's signal: both copies abort with it. */
  readonly signal: AbortSignal;
  /** When the request counts as late (`hedgeDelayMs`). */
  readonly delayMs: number;
  /** Called once, when the request turns late (before `mayHedge` is first asked). */
  onLate?(): void;
  /** Asked once the request is late, and every `delayMs` after: whether a copy may go (no other page waits for the request rate). */
  mayHedge(): boolean;
  /**
   * Takes the copy's turn at the request rate and what it is sent with; undefined when no more
   * requests may be sent, or when `signal` aborts the wait (the first copy settled meanwhile).
   */
  take(signal: AbortSignal): Promise<C | undefined>;
  /** The copy is sent (`sent`), or its turn was taken but the first copy settled meanwhile (`unused`). */
  onCopy(kind: 'sent' | 'unused'): void;
  /** The copy that settled second was aborted: it was sent and will never be answered. */
  onSuperseded(): void;
}

/**
 * `send` once and, when that is late and `mayHedge` allows, once more with what `take` gave (a
 * hedged request, as in Dean and Barroso's "The Tail at Scale"): the first copy to settle, answer
 * or error, is the result; the other is aborted. A page among the last ones that meets a slow
 * answer otherwise holds the whole run until its timeout, while the rate it may use goes unused.
 */
export async function hedgedRequest<T, C>(send: (signal: AbortSignal, copy?: C) => Promise<T>, options: HedgeOptions<C>): Promise<T> {
  const { clock, signal, delayMs } = options;
  const first = new AbortController();
  const primary = send(AbortSignal.any([signal, first.signal]));
  let settled = false;
  let late = false;
  const done = primary.then(
    () => void (settled = true),
    () => void (settled = true),
  );
  // Late, it waits for the run's tail: asked again every `delayMs` until a copy may go or it answers.
  for (;;) {
    let timer: unknown;
    await Promise.race([done, new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, delayMs)))]);
    clock.clearTimeout(timer);
    if (settled) return primary;
    if (!late) {
      late = true;
      options.onLate?.();
    }
    if (options.mayHedge()) break;
  }
  // The first copy's answer is not held back by the copy's wait for its turn (at a low rate, seconds).
  const waiving = new AbortController();
  const taken = options.take(waiving.signal);
  const ticket = await Promise.race([taken, done.then(() => undefined)]);
  if (settled) {
    waiving.abort();
    void taken.then((unused) => {
      if (unused !== undefined) options.onCopy('unused');
    });
    return primary;
  }
  if (ticket === undefined) return primary;
  options.onCopy('sent');
  const second = new AbortController();
  const copy = send(AbortSignal.any([signal, second.signal]), ticket);
  const winner = await Promise.race([
    primary.then(
      () => 0,
      () => 0,
    ),
    copy.then(
      () => 1,
      () => 1,
    ),
  ]);
  const [won, lost, abort] = winner === 0 ? [primary, copy, second] : [copy, primary, first];
  lost.catch(() => undefined);
  abort.abort(new SupersededRequest());
  options.onSuperseded();
  return won;
}
