interface Waiter {
  readonly resolve: (release: () => void) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * A semaphore whose size is read at each decision (`limit()`), so the Little's-law cap can
 * follow the rate and latency. A slot is held from the attempt to the page's staging: it
 * bounds requests in flight and fetched-but-unstaged pages together (backpressure).
 */
export class InFlightGate {
  readonly #limit: () => number;
  readonly #waiters: Waiter[] = [];
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

  /** Resolves with an idempotent `release` once a slot is free; rejects with the signal's reason. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.pump();
    });
  }

  /** Admits waiters while slots are free (call when the limit may have grown). */
  pump(): void {
    while (this.#waiters.length > 0 && this.#held < this.#limit()) {
      const waiter = this.#waiters.shift()!;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.#held++;
      this.#peak = Math.max(this.#peak, this.#held);
      let released = false;
      waiter.resolve(() => {
        if (released) return;
        released = true;
        this.#held--;
        this.pump();
      });
    }
  }
}
