// Over 300 lines on purpose: the rate, its sample window and its pause are one state that every
// rule changes (slow start, the cut on a 429, the probe upwards, the outage rule, the headers);
// about a third of the lines are the measured reasons for its constants.
import type { RunConfig } from '../config/runConfig.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { LatencyTracker } from './latencyTracker.js';
import { parseRateLimitPolicy } from './rateLimitPolicy.js';
import { WaiterQueue } from './waiterQueue.js';

/** What consumed the server's quota and how it ended, as the limiter sees it. */
export type AttemptOutcome = 'success' | 'failure' | 'other';

/** Where the current rate came from (for logs and the report). */
export type RateSource = 'configured' | 'policy' | 'headers' | 'slowStart' | 'adaptive' | 'remembered';

/**
 * What a run learned of the API's rate limit by probing it, for the next run to start from
 * (`RateLimiter.learned`): a ceiling its 429s showed, or, without a 429, the highest rate it
 * sent at that the API accepted.
 */
export type LearnedPace = { readonly ceiling: number } | { readonly accepted: number };

/** Where a run's rate started, for its report: learning it (slow start), the configured limit, or a pace remembered from an earlier run. */
export interface PaceStart {
  readonly from: 'slowStart' | 'configured' | 'remembered';
  /** Requests/s. */
  readonly rate: number;
  /** When the remembered pace was learned. */
  readonly learnedAt?: string;
}

export interface RateLimiterOptions {
  /** The API's known limit `L`, req/s: start at 0.95 L and never exceed L. Run option `rateLimit`. */
  readonly rateLimit?: RunConfig['rateLimit'] | undefined;
  /** Never send faster than this, req/s, whatever the server says. Run option `maxRate`. */
  readonly maxRate?: RunConfig['maxRate'] | undefined;
  /** The slowest probe rate, req/s. Default 0.5. */
  readonly minRate?: number | undefined;
  /** The slow-start rate when nothing is known, req/s. Default 2. */
  readonly initialRate?: number | undefined;
  /**
   * What an earlier run against the same API learned (`learned`), when nothing is configured: a
   * ceiling starts the rate at 0.95 of it, as after a 429, and slow start resumes if 30 s pass
   * without one; an accepted rate starts slow start at half of it. The API's headers and 429s
   * then correct it as they would any estimate.
   */
  readonly remembered?: (LearnedPace & { readonly learnedAt?: string }) | undefined;
}

interface Sample {
  readonly at: number;
  readonly failed: boolean;
}

const windowMs = 10_000;
/**
 * Slow start doubles the rate at most this often while the demand uses it. Measured in virtual
 * time (test/bench/virtualPacing.ts): 1 s doubling lost ~25% of a 30 s calm run; 250 ms
 * overshot small limits (R = 4, 80-110 ms answers) into bursts of 429s; 500 ms keeps both
 * within target.
 */
const slowStartDoublingMs = 500;
/**
 * Faster when answers come fast: every 8 median round trips, so that a doubling's effect
 * (a 429) is seen well before the next, but not under 100 ms. A server answering in 5 ms
 * is ramped to 1,000 req/s in about a second instead of five.
 */
const slowStartRoundTrips = 8;
const slowStartMinDoublingMs = 100;
/**
 * Sooner still above 32 req/s: once 16 tokens' worth of time has passed at the rate. An overshoot
 * costs 429s in proportion to the rate, but the run's requests grow with it, so their share falls.
 * Measured in virtual time: the paced scenarios unchanged (their first 429 comes at 16-32 req/s),
 * 1,000 small pages from a calm API answering in 50-150 ms 5.6 → 4.8 s; 8 tokens took flaky
 * R = 10 without headers to 2.1-2.4 % of 429s.
 */
const slowStartDoublingTokens = 16;
/**
 * Above 0.95 w the probe starts at 0.2% of w per second and speeds up by 0.02% of w per
 * second each second since the last cut, up to 0.5%: it stays near a ceiling that was just
 * measured (each 429 costs a 1-2 s pause: at 1%/s hostile headers-off met one every ~18 s),
 * yet finds a ceiling that was underestimated.
 */
const probeStart = 0.002;
const probeAcceleration = 0.0002;
const probeMax = 0.005;
/**
 * A rate 10% above a ceiling that 429s measured, without meeting another, says that ceiling was
 * read low: slow start's last levels, where an API without a burst refuses early, read R = 10 as
 * 4.3 req/s, and the probe then took minutes. From there the rate grows by 2% of itself a second.
 * Measured in virtual time (`virtualPacing.ts --seeds 3 --lengths 60 --only limit`): R = 10 without
 * a burst 0.54 → 0.64 of the limit, R = 80 with 8 0.68 → 0.74, R = 30 with 3 0.86 → 0.85; 5% a
 * second, or from w itself, took `hostile`'s 429 share 1.8 → 2.4-2.6 % (16 seeds, headers off).
 */
const lowCeilingMargin = 0.1;
const lowCeilingGrowth = 0.02;
/**
 * Leaving slow start, the ceiling is measured over at least this many answers (back to the first
 * token): at small limits the last two rate levels hold only a few, and read it at half.
 */
const firstCutSamples = 20;
/**
 * ... and over the last second at least: the accepted rate counts a window as one second at
 * least, so 20 answers within 160 ms (slow start at 512 req/s) read an API of 30 req/s as 19, and
 * the probe, which keeps near a measured ceiling, then took minutes to find the rest. Measured in
 * virtual time (`virtualPacing.ts --only limit --lengths 60`): R = 30 with a burst of 30, 0.79 →
 * 0.97 of the limit; R = 80, 0.86 → 0.96; the paced scenarios (below 32 req/s) unchanged.
 */
const firstCutMinMs = 1000;
/** A rate held this long without a 429 is one the API accepts: remembered instead of the ceiling below it. */
const heldMs = 10_000;
/**
 * A remembered ceiling used this long without a 429 may be old and low: slow start resumes from
 * the rate. Measured in virtual time (12 seeds each, headers off): the probe alone met its 429
 * after 10-25 s where the ceiling was right; resuming after 10 s took `flaky`'s 429 share 0.30 →
 * 1.28 %, after 30 s it stayed. A ceiling remembered at a third of the limit: 0.37 of the ceiling
 * with the probe alone, 0.54-0.57 with this.
 */
const rememberedTrustMs = 30_000;
/** Attempts the outage rule looks at, at most. */
const outageSample = 20;
/** Above 100 req/s a capacity of one token would need sub-millisecond timers: hold 10 ms worth. */
const burstMs = 10;

/**
 * The run's one shared limiter (docs/pacing.md): a token bucket of capacity 1 (10 ms worth above
 * 100 req/s) refilled at rate `r`,
 * taken by every attempt, first tries and retries alike, plus a run-wide pause for 429s.
 */
export class RateLimiter {
  readonly #clock: Clock;
  readonly #latency: LatencyTracker;
  readonly #minRate: number;
  readonly #cap: number;
  #rate: number;
  #source: RateSource;
  /** `w`: the estimated ceiling of the server, req/s, once known. */
  #ceiling: number | undefined;
  #tokens = 1;
  #refilledAt: number;
  /** The last pump left waiters queued for a token: the time until the next one is owed to them. */
  #owing = false;
  #pausedUntil = 0;
  #pauseStartedAt: number | undefined;
  #totalPauseMs = 0;
  /** An aborted waiter re-plans the refill timer, which may no longer be needed. */
  readonly #waiters = new WaiterQueue<void>(() => this.#pump(), { pumpOnAbort: true });
  #timer: TimerHandle | undefined;
  #pauseTimer: TimerHandle | undefined;
  #samples: Sample[] = [];
  /** Samples before this index are older than the window. */
  #head = 0;
  /** Where the accepted rate is measured from: the start, or the first cut out of slow start. */
  #measureFrom: number;
  /** When slow start took its first token: the earliest a first cut measures from. */
  #firstTokenAt: number | undefined;
  #lastCutAt = -Infinity;
  #lastHalveAt = -Infinity;
  #lastGrowAt: number;
  /** Since when the rate has held without a cut: the probe above w speeds up with it. */
  #probeFrom: number;
  #lastDoubleAt: number;
  /** When the rate before the current one was set (slow start): the window that measures the first 429. */
  #previousDoubleAt: number;
  #takenSinceDouble = 0;
  #takenSinceGrow = 0;
  /** Tokens granted in all, and attempts answered (recorded or rate limited): their difference is in flight. */
  #taken = 0;
  #answered = 0;
  /** Quota the server said was left when it first advertised its limit: spent once, on top of the rate. */
  #credit = 0;
  /** A 429 was seen: the ceiling is the server's limit, not an outage's halving. */
  #limited = false;
  /** The fastest rate slow start measured the demand sending at (every answer accepted), req/s. */
  #accepted = 0;
  /** The ceiling remembered from an earlier run, when the rate started from one. */
  readonly #rememberedCeiling: number | undefined;
  #resumeListeners: ((pausedMs: number) => void)[] = [];
  readonly #started: PaceStart;

  constructor(clock: Clock, latency: LatencyTracker, options: RateLimiterOptions = {}) {
    this.#clock = clock;
    this.#latency = latency;
    this.#minRate = options.minRate ?? 0.5;
    this.#cap = Math.min(options.maxRate ?? Infinity, options.rateLimit ?? Infinity);
    const now = clock.now();
    this.#measureFrom = now;
    this.#refilledAt = now;
    this.#lastGrowAt = now;
    this.#probeFrom = now;
    this.#lastDoubleAt = now;
    this.#previousDoubleAt = now;
    const remembered = options.remembered;
    if (options.rateLimit !== undefined) {
      this.#rate = 0.95 * options.rateLimit;
      this.#ceiling = options.rateLimit;
      this.#source = 'configured';
    } else if (remembered !== undefined && 'ceiling' in remembered) {
      this.#rate = 0.95 * remembered.ceiling;
      this.#ceiling = remembered.ceiling;
      this.#rememberedCeiling = remembered.ceiling;
      this.#source = 'remembered';
    } else {
      this.#rate = Math.max(options.initialRate ?? 2, (remembered?.accepted ?? 0) / 2);
      this.#source = 'slowStart';
    }
    this.#rate = this.#bounded(this.#rate);
    const from = this.#source === 'configured' ? 'configured' : remembered === undefined ? 'slowStart' : 'remembered';
    this.#started = {
      from,
      rate: this.#rate,
      ...(from === 'remembered' && remembered?.learnedAt ? { learnedAt: remembered.learnedAt } : {}),
    };
  }

  /** Where the rate started. */
  get start(): PaceStart {
    return this.#started;
  }

  /** The current rate `r`, req/s. */
  get rate(): number {
    return this.#rate;
  }

  get source(): RateSource {
    return this.#source;
  }

  /** The estimated server ceiling `w`, req/s, once known. */
  get ceiling(): number | undefined {
    return this.#ceiling;
  }

  /**
   * What this run learned of the API's limit by probing it, for a later run (undefined when it
   * probed nothing: the limit was configured or advertised, or nothing was sent): after a 429,
   * the estimated ceiling, or the rate held 10 s since the last 429 if higher; without one, a
   * remembered ceiling, raised to what the run sent at; else the fastest rate slow start sent at,
   * every answer accepted.
   */
  get learned(): LearnedPace | undefined {
    if (this.#source === 'headers' || this.#source === 'policy' || this.#source === 'configured') return undefined;
    if (this.#limited && this.#ceiling !== undefined) {
      const held = this.#clock.now() - this.#lastCutAt >= heldMs ? this.#rate : 0;
      return { ceiling: Math.max(this.#ceiling, held) };
    }
    // Without a 429, a remembered ceiling stands, raised to what this run sent at without one.
    if (this.#rememberedCeiling !== undefined)
      return { ceiling: Math.max(this.#rememberedCeiling, this.#accepted, this.#source === 'remembered' ? this.#rate : 0) };
    return this.#accepted > 0 ? { accepted: this.#accepted } : undefined;
  }

  /** Until when (clock ms) every attempt is paused; in the past when not paused. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  get paused(): boolean {
    return this.#pausedUntil > this.#clock.now();
  }

  /** Total time spent paused so far, ms (a running pause counts up to now). */
  get totalPauseMs(): number {
    const running = this.#pauseStartedAt === undefined ? 0 : Math.min(this.#clock.now(), this.#pausedUntil) - this.#pauseStartedAt;
    return this.#totalPauseMs + running;
  }

  /** Called with the pause's length when a run-wide pause ends; returns the function that stops listening. */
  onResume(listener: (pausedMs: number) => void): () => void {
    this.#resumeListeners.push(listener);
    return () => {
      this.#resumeListeners = this.#resumeListeners.filter((l) => l !== listener);
    };
  }

  /** Waits for a token and for the end of any pause; rejects with the signal's reason. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.#waiters.join(signal);
  }

  /** Records an attempt that consumed quota (any answer but 429): feeds growth and outage decay. */
  record(outcome: AttemptOutcome): void {
    const now = this.#clock.now();
    this.#answered++;
    this.#samples.push({ at: now, failed: outcome === 'failure' });
    this.#trim(now);
    if (outcome === 'success') this.#grow(now);
    else if (outcome === 'failure') this.#maybeHalve(now);
  }

  /**
   * A 429: cut `r` to `max(min, 0.9 × min(r, w))` at most once per epoch, where `w` is the
   * accepted rate over the last 10 s, and pause every attempt for `pauseMs`. `unansweredSince(t)`:
   * requests sent after `t` and still unanswered well past the usual latency; the server took
   * them (a refusal comes back fast), so they count as accepted. Returns whether the rate was cut.
   */
  rateLimited(pauseMs: number, unansweredSince: (since: number) => number = () => 0): boolean {
    const now = this.#clock.now();
    this.#answered++;
    this.#credit = 0;
    this.#limited = true;
    this.#trim(now);
    const epoch = Math.max(1000, this.#latency.quantile(0.5) ?? 0);
    let cut = false;
    if (now - this.#lastCutAt >= epoch) {
      // Leaving slow start, the last 10 s hold the ramp: measure over the last two rate levels (or
      // 20 answers, or the last second) only. Afterwards, from the first cut on: the ramp wasted
      // quota (we sent below the ceiling) and would read low.
      const measured = this.#acceptedRate(
        now,
        this.#source === 'slowStart'
          ? Math.max(this.#firstTokenAt ?? now, Math.min(this.#previousDoubleAt, this.#sampleAt(firstCutSamples), now - firstCutMinMs))
          : this.#measureFrom,
        unansweredSince,
      );
      // Fewer than 10 answers measure little: keep the last estimate of the ceiling if there is one.
      const w =
        measured.samples >= 10 || (this.#ceiling === undefined && measured.samples > 0) ? measured.rate : (this.#ceiling ?? this.#rate / 2);
      // The server refused at rate r: its ceiling is below r even when w, inflated by its burst, says more.
      const ceiling = Math.min(this.#rate, w);
      this.#setRate(0.9 * ceiling);
      this.#ceiling = ceiling;
      if (this.#source === 'slowStart') this.#measureFrom = now;
      this.#source = 'adaptive';
      this.#lastCutAt = now;
      this.#lastGrowAt = now;
      this.#probeFrom = now;
      cut = true;
    }
    this.pause(pauseMs);
    return cut;
  }

  /** Pauses every attempt for at least `ms` from now (a longer running pause is kept). */
  pause(ms: number): void {
    const now = this.#clock.now();
    const until = now + Math.max(0, ms);
    if (until <= this.#pausedUntil) return;
    if (this.#pauseStartedAt === undefined || this.#pausedUntil <= now) this.#pauseStartedAt = now;
    this.#pausedUntil = until;
    if (this.#pauseTimer !== undefined) this.#clock.clearTimeout(this.#pauseTimer);
    this.#pauseTimer = this.#clock.setTimeout(() => this.#endPause(), until - now);
    this.#pump();
  }

  /**
   * Reads the server's rate-limit headers. Before the first 429 they set the start rate:
   * `RateLimit-Policy` (`q;w=`) → 0.98 × q/w; else `RateLimit-Limit` (per `w`, or per second) →
   * 0.98 × limit; else `RateLimit-Remaining`/`Reset` → remaining/reset. Starting from a limit,
   * the quota `RateLimit-Remaining` says is left (less what is in flight, at most one second of
   * the limit) is spent at once on top of the rate: the server's burst, not a guess.
   * Afterwards, a response that leaves no quota stops probing above the ceiling.
   */
  observeHeaders(headers: Headers): void {
    const policy = parseRateLimitPolicy(headers.get('ratelimit-policy'));
    const limit = Number(headers.get('ratelimit-limit') ?? NaN);
    const remaining = Number(headers.get('ratelimit-remaining') ?? NaN);
    const reset = Number(headers.get('ratelimit-reset') ?? NaN);
    // A remembered pace is an estimate: what the server says now replaces it.
    const canStart = this.#source === 'slowStart' || this.#source === 'remembered' || (this.#source === 'headers' && policy !== undefined);
    if (canStart) {
      if (policy !== undefined) this.#start(policy.quota / policy.windowSeconds, 'policy', remaining);
      else if (Number.isFinite(limit) && limit > 0) this.#start(limit, 'headers', remaining);
      else if (Number.isFinite(remaining) && Number.isFinite(reset) && reset > 0) {
        this.#setRate(remaining / reset);
        this.#source = 'headers';
      }
    }
    if (remaining === 0) this.#credit = 0;
    // No quota left: we are at the ceiling; step back under it instead of waiting for a 429.
    if (remaining === 0 && this.#ceiling !== undefined && this.#rate > 0.95 * this.#ceiling) {
      this.#setRate(0.95 * this.#ceiling);
      this.#lastGrowAt = this.#clock.now();
    }
  }

  #start(advertised: number, source: RateSource, remaining: number): void {
    // Once (a later policy header refines the rate; the quota left was spent), and never under
    // maxRate, which a burst would exceed.
    if ((this.#source === 'slowStart' || this.#source === 'remembered') && Number.isFinite(remaining) && this.#cap === Infinity) {
      this.#credit = Math.max(0, Math.min(Math.floor(remaining) - Math.max(0, this.#taken - this.#answered), Math.floor(advertised)));
    }
    this.#setRate(0.98 * advertised);
    this.#ceiling = advertised;
    this.#source = source;
    this.#lastGrowAt = this.#clock.now();
    this.#pump();
  }

  /** Stops every timer; pending acquires stay pending (their signals reject them). */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    if (this.#pauseTimer !== undefined) this.#clock.clearTimeout(this.#pauseTimer);
    this.#timer = undefined;
    this.#pauseTimer = undefined;
  }

  #endPause(): void {
    this.#pauseTimer = undefined;
    const now = this.#clock.now();
    const length = this.#pauseStartedAt === undefined ? 0 : now - this.#pauseStartedAt;
    this.#totalPauseMs += length;
    this.#pauseStartedAt = undefined;
    // Growth is earned by answers at the rate, not by time spent paused.
    this.#lastGrowAt = Math.max(this.#lastGrowAt, now);
    for (const listener of this.#resumeListeners) listener(length);
    this.#pump();
  }

  #bounded(rate: number): number {
    return Math.min(this.#cap, Math.max(this.#minRate, rate));
  }

  #trim(now: number): void {
    while (this.#head < this.#samples.length && this.#samples[this.#head]!.at <= now - windowMs) this.#head++;
    // Compact only once half the array is stale: at hundreds of req/s, copying on every answer adds up.
    if (this.#head > 64 && this.#head * 2 >= this.#samples.length) {
      this.#samples = this.#samples.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Mean accepted requests per second over the last 10 s (or since `from`), counting only the
   * time we were sending: a gap where we sent nothing (a token refresh, a pause) says nothing
   * about the server's ceiling, so each gap counts for at most max(1 s, two intervals at r).
   * Requests still unanswered (`unansweredSince`) count too: a few answers that hang for seconds
   * read `hostile`'s limit of 4 req/s as 3.1.
   */
  #acceptedRate(now: number, from: number, unansweredSince: (since: number) => number): { rate: number; samples: number } {
    const since = Math.max(now - windowMs, from);
    const gapCap = Math.max(1000, 2000 / this.#rate);
    let accepted = unansweredSince(since);
    let span = 0;
    let previous = since;
    for (let i = this.#head; i < this.#samples.length; i++) {
      const at = this.#samples[i]!.at;
      if (at <= since) continue;
      accepted++;
      span += Math.min(at - previous, gapCap);
      previous = at;
    }
    span += Math.min(now - previous, gapCap);
    return { rate: (accepted * 1000) / Math.max(1000, span), samples: accepted };
  }

  /** When the `n`-th latest answer in the window came; -Infinity when there are fewer. */
  #sampleAt(n: number): number {
    const i = this.#samples.length - n;
    return i >= this.#head ? this.#samples[i]!.at : -Infinity;
  }

  #grow(now: number): void {
    const dt = now - this.#lastGrowAt;
    if (dt < 250 || this.#ceiling === undefined || this.#source === 'slowStart') return;
    const used = this.#takenSinceGrow * 2 >= (this.#rate * dt) / 1000;
    this.#lastGrowAt = now;
    this.#takenSinceGrow = 0;
    // As in slow start: a rate the demand leaves unused (a page holding the window, a login) says
    // nothing about the server, and would meet it far above its ceiling once the demand is back.
    if (!used) return;
    if (this.#source === 'remembered' && now - this.#probeFrom >= rememberedTrustMs && !this.outage) {
      // No 429 for so long: the ceiling remembered may be old and low. Look for the limit as a first run does.
      this.#source = 'slowStart';
      this.#lastDoubleAt = now;
      this.#previousDoubleAt = now;
      this.#takenSinceDouble = 0;
      return;
    }
    const w = this.#ceiling;
    const probe = Math.min(probeMax, probeStart + (probeAcceleration * (now - this.#probeFrom)) / 1000);
    // Fast growth stops at 0.95 w; from there the probe takes over (on the next step).
    const target = 0.95 * w;
    const lowCeiling = this.#source === 'adaptive' && this.#limited && this.#rate > (1 + lowCeilingMargin) * w;
    const step = Math.max(probe * w, lowCeiling ? lowCeilingGrowth * this.#rate : 0);
    this.#setRate(this.#rate < target ? Math.min(target, this.#rate + (0.1 * w * dt) / 1000) : this.#rate + (step * dt) / 1000);
  }

  /**
   * More than half of at least 10 attempts in the last 10 s failed. Judged on the latest 20
   * of them, so that an outage after a good stretch shows within a second or two, while
   * random faults (even 20% of attempts) almost never reach a majority of 20.
   */
  get outage(): boolean {
    this.#trim(this.#clock.now());
    const recent = this.#samples.slice(Math.max(this.#head, this.#samples.length - outageSample));
    if (recent.length < 10) return false;
    const failed = recent.reduce((n, s) => n + (s.failed ? 1 : 0), 0);
    return failed * 2 > recent.length;
  }

  #maybeHalve(now: number): void {
    if (now - this.#lastHalveAt < 2000 || !this.outage) return;
    this.#ceiling ??= this.#rate;
    if (this.#source === 'slowStart') this.#source = 'adaptive';
    this.#setRate(this.#rate / 2);
    this.#lastHalveAt = now;
    this.#lastGrowAt = now;
  }

  /**
   * Slow start: double every 100-500 ms (8 round trips, or 16 tokens at the rate) until the first
   * 429, while the demand uses the rate.
   */
  #slowStart(now: number): void {
    if (this.#source !== 'slowStart') return;
    const elapsed = now - this.#lastDoubleAt;
    const roundTrips = slowStartRoundTrips * (this.#latency.quantile(0.5) ?? Infinity);
    const tokens = (slowStartDoublingTokens * 1000) / this.#rate;
    if (elapsed < Math.max(slowStartMinDoublingMs, Math.min(slowStartDoublingMs, roundTrips, tokens))) return;
    if (this.#takenSinceDouble * 2 >= this.#rate * (elapsed / 1000)) {
      this.#accepted = Math.max(this.#accepted, (this.#takenSinceDouble * 1000) / elapsed);
      this.#setRate(this.#rate * 2);
      this.#previousDoubleAt = this.#lastDoubleAt;
    }
    this.#lastDoubleAt = now;
    this.#takenSinceDouble = 0;
  }

  /**
   * Adds the tokens earned since the last refill at the rate they were earned at. Time paused
   * earns nothing. Time a waiter spent queued for a token is owed in full: a timer that fires late
   * (a busy event loop) must not lose its lateness's tokens to the capacity, or the rate tops out
   * at `capacity` per loop turn (~500 req/s at 20 ms turns).
   */
  #refill(now: number): void {
    const earned = this.#tokens + ((now - Math.max(this.#refilledAt, Math.min(now, this.#pausedUntil))) * this.#rate) / 1000;
    this.#tokens = this.#owing ? earned : Math.min(this.#capacity(), earned);
    this.#refilledAt = now;
  }

  /** The bucket's capacity at the current rate: one token, or 10 ms worth above 100 req/s. */
  #capacity(): number {
    return Math.max(1, (this.#rate * burstMs) / 1000);
  }

  /**
   * Every change of the rate after the start: the time before it earns tokens at the old rate.
   * Earned at the new one, a doubling handed the queued requests a second token at once, two
   * requests together, which an API that allows no burst refuses: R = 10 without one read as 2
   * req/s, a run at 0.29 of the limit (0.54 since, `virtualPacing.ts --only limit`).
   */
  #setRate(rate: number): void {
    this.#refill(this.#clock.now());
    this.#rate = this.#bounded(rate);
  }

  #pump(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#clock.now();
    this.#refill(now);
    this.#slowStart(now);
    this.#owing = false;
    while (this.#waiters.length > 0) {
      if (this.#pausedUntil > now) {
        // Real timers may fire a little before the clock reads their due time: always re-arm.
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, this.#pausedUntil - now);
        return;
      }
      if (this.#tokens < 1 && this.#credit >= 1) {
        this.#credit -= 1;
        this.#tokens += 1;
      }
      if (this.#tokens < 1) {
        this.#owing = true;
        const waitMs = Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, waitMs);
        return;
      }
      this.#tokens -= 1;
      this.#taken++;
      this.#takenSinceDouble++;
      this.#takenSinceGrow++;
      this.#firstTokenAt ??= now;
      this.#waiters.admit();
    }
    this.#tokens = Math.min(this.#capacity(), this.#tokens);
  }
}
