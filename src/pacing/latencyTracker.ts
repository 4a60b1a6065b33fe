/** Recent response latencies (a sliding sample of the last `size`), for p50/p99. */
export class LatencyTracker {
  readonly #samples: number[] = [];
  #next = 0;
  #count = 0;
  #sorted: number[] | undefined;

  constructor(private readonly size = 512) {}

  record(ms: number): void {
    if (this.#samples.length < this.size) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
    this.#count++;
    // Re-sort at most every 16 samples once warm: quantiles are read on every attempt.
    if (this.#count < 64 || this.#count % 16 === 0) this.#sorted = undefined;
  }

  /** Samples recorded since the start (not only those kept). */
  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0..1) of the kept samples, or undefined before the first sample. */
  quantile(q: number): number | undefined {
    if (this.#samples.length === 0) return undefined;
    this.#sorted ??= [...this.#samples].sort((a, b) => a - b);
    const i = Math.min(this.#sorted.length - 1, Math.max(0, Math.ceil(q * this.#sorted.length) - 1));
    return this.#sorted[i];
  }
}
