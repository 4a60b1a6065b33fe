import { runOptionDefaults } from '../config/runConfig.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import { WaiterQueue } from './waiterQueue.js';

export interface RetryBudgetOptions {
  /** Tokens the bucket starts with and holds at most. Default 20. */
  readonly capacity?: number;
  /** Tokens earned per successful attempt. Default 0.5. */
  readonly perSuccess?: number;
  /** Tokens refilled per second whatever happens, so that retries are delayed, never dropped. Default 0.2. */
  readonly floorPerSecond?: number;
  /** The run fails once retries exceed this share of all requests. Run option `maxRetryShare` (its default applies). */
  readonly maxRetryShare?: number;
  /** Requests before the share is judged (early noise is not a trend). Default 50. */
  readonly minRequests?: number;
}

/**
 * The run-wide retry budget (docs/pacing.md): a bucket of 20 tokens, +0.5 per success, −1 per
 * retry, a small floor refill. An empty bucket delays retries until a token is back.
 * Also tracks the share of retries among requests, beyond which the run must fail.
 */
export class RetryBudget {
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #perSuccess: number;
  readonly #floor: number;
  readonly maxRetryShare: number;
  readonly #minRequests: number;
  #tokens: number;
  #refilledAt: number;
  #requests = 0;
  #retries = 0;
  readonly #waiters = new WaiterQueue<void>(() => this.#pump());
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, options: RetryBudgetOptions = {}) {
    this.#clock = clock;
    this.#capacity = options.capacity ?? 20;
    this.#perSuccess = options.perSuccess ?? 0.5;
    this.#floor = options.floorPerSecond ?? 0.2;
    this.maxRetryShare = options.maxRetryShare ?? runOptionDefaults.maxRetryShare;
    this.#minRequests = options.minRequests ?? 50;
    this.#tokens = this.#capacity;
    this.#refilledAt = clock.now();
  }

  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Counts a request sent (first try or retry). */
  requested(): void {
    this.#requests++;
  }

  /** A successful attempt earns tokens. */
  succeeded(): void {
    this.#refill();
    this.#tokens = Math.min(this.#capacity, this.#tokens + this.#perSuccess);
    this.#pump();
  }

  /** Whether retries have passed their allowed share of requests. */
  get shareExceeded(): boolean {
    return this.#requests >= this.#minRequests && this.#retries > this.maxRetryShare * this.#requests;
  }

  get retryShare(): number {
    return this.#requests === 0 ? 0 : this.#retries / this.#requests;
  }

  /** Takes one token for a retry, waiting for one when the bucket is empty. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.#waiters.join(signal);
  }

  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#refilledAt) * this.#floor) / 1000);
    this.#refilledAt = now;
  }

  #pump(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#refill();
    while (this.#waiters.length > 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#retries++;
      this.#waiters.admit();
    }
    if (this.#waiters.length > 0 && this.#floor > 0) {
      const waitMs = Math.ceil(((1 - this.#tokens) * 1000) / this.#floor);
      this.#timer = this.#clock.setTimeout(() => this.#pump(), waitMs);
    }
  }
}
