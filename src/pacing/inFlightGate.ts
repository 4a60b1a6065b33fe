import { WaiterQueue } from './waiterQueue.js';

/**
 * A semaphore whose size is read at each decision (`limit()`), so the Little's-law cap can
 * follow the rate and latency. A slot is held from the attempt to the page's staging: it
 * bounds requests in flight and fetched-but-unstaged pages together (backpressure).
 */
export class InFlightGate {
  readonly #limit: () => number;
  readonly #waiters = new WaiterQueue<() => void>(() => this.pump());
  #held = 0;
  #peak = 0;

  constructor(limit: () => number) {
    this.#limit = limit;
  }

  get held(): number {
    return this.#held;
  }

  /** The most slots held at once. */
  get peak(): number {
    return this.#peak;
  }

  /**
   * Resolves with an idempotent `release` once a slot is free (`ahead`: before the callers that
   * did not ask so); rejects with the signal's reason.
   */
  acquire(signal?: AbortSignal, ahead = false): Promise<() => void> {
    return this.#waiters.join(signal, ahead);
  }

  /** Admits waiters while slots are free (call when the limit may have grown). */
  pump(): void {
    while (this.#waiters.length > 0 && this.#held < this.#limit()) {
      this.#held++;
      this.#peak = Math.max(this.#peak, this.#held);
      let released = false;
      this.#waiters.admit(() => {
        if (released) return;
        released = true;
        this.#held--;
        this.pump();
      });
    }
  }
}
