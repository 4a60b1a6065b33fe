/** An opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/**
 * The source of time for everything in a run. Structurally compatible with XState's
 * `clock` option; `clockScheduler()` turns it into an RxJS scheduler.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Marks real I/O (DuckDB, files, sockets) so that a simulated clock does not move time
   * while it is pending. The real clock returns the promise unchanged.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

export function sleepOn(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall-clock time and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  sleep(ms, signal) {
    return sleepOn(realClock, ms, signal);
  },
  track: (work) => work,
};
