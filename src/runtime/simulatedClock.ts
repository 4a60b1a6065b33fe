import { sleepOn, type Clock, type TimerHandle } from './clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Virtual time for deterministic tests and simulations. Time moves only when the clock is
 * driven (`advance`, `run`), and only once every tracked real I/O has settled and the
 * microtask queue is drained, so that a run gives the same result for the same seed.
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  #pending = new Set<Promise<unknown>>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { id: ++this.#seq, at: this.#now + Math.max(0, ms), fn };
    // Keep timers sorted by due time, then by creation order (stable and deterministic).
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.at > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.#timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const done = (): void => void this.#pending.delete(work);
    work.then(done, done);
    return work;
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Lets every ready microtask, macrotask and tracked I/O finish without moving time. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 2;) {
      await nextTurn();
      if (this.#pending.size > 0) {
        await Promise.allSettled([...this.#pending]);
        quiet = 0;
      } else {
        quiet++;
      }
    }
  }

  /** Fires, in order, every timer due within `ms` from now; time ends at now + `ms`. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await this.settle();
    while (this.#timers.length > 0 && this.#timers[0]!.at <= until) {
      this.#fireNext();
      await this.settle();
    }
    this.#now = until;
  }

  /**
   * Runs `task` to completion, jumping time to each next timer whenever nothing else can
   * progress. Fails if the task is stuck with no timer left to fire.
   */
  async run<T>(task: () => Promise<T>, maxVirtualMs = 7 * 24 * 3600_000): Promise<T> {
    const deadline = this.#now + maxVirtualMs;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    task().then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    for (;;) {
      await this.settle();
      if (outcome) break;
      if (this.#timers.length === 0) throw new Error('simulation stalled: the task waits on nothing the clock can fire');
      if (this.#timers[0]!.at > deadline) throw new Error(`simulation exceeded ${maxVirtualMs} ms of virtual time`);
      this.#fireNext();
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  #fireNext(): void {
    const timer = this.#timers.shift()!;
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
  }
}
