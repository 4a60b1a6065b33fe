interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export interface WaiterQueueOptions {
  /** Pump again once an aborted waiter has left (for an owner whose pump re-plans a timer). Default false. */
  readonly pumpOnAbort?: boolean;
}

/**
 * Callers waiting their turn, first come first served, for the pacing pieces (gate, retry
 * budget, rate limiter); those that join `ahead` go before all others, first come first served
 * among themselves. The owner's `pump` decides when the first may go (`admit`); a waiter whose
 * signal aborts leaves the queue at once and rejects with the signal's reason.
 */
export class WaiterQueue<T> {
  readonly #waiters: Waiter<T>[] = [];
  /** How many waiters at the front joined ahead. */
  #ahead = 0;
  readonly #pump: () => void;
  readonly #pumpOnAbort: boolean;

  constructor(pump: () => void, options: WaiterQueueOptions = {}) {
    this.#pump = pump;
    this.#pumpOnAbort = options.pumpOnAbort ?? false;
  }

  /** Waiters still queued. */
  get length(): number {
    return this.#waiters.length;
  }

  /**
   * Queues a caller (`ahead`: before those that did not join ahead) and pumps, so it may go at
   * once. Resolves with what `admit` hands it; rejects with the signal's reason, at once (neither
   * queued nor pumped) if already aborted.
   */
  join(signal?: AbortSignal, ahead = false): Promise<T> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          if (i >= 0 && i < this.#ahead) this.#ahead--;
          reject(signal?.reason);
          if (this.#pumpOnAbort) this.#pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      if (ahead) this.#waiters.splice(this.#ahead++, 0, waiter);
      else this.#waiters.push(waiter);
      this.#pump();
    });
  }

  /** Lets the first waiter go with `value`; false when none is waiting. */
  admit(value: T): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    if (this.#ahead > 0) this.#ahead--;
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.resolve(value);
    return true;
  }
}
