import type { Clock } from '../runtime/clock.js';

/** How `PipeLimit` measures and probes; the defaults suit APIs answering in 10 ms to seconds. */
export interface PipeLimitOptions {
  /** A round lasts at least this long… */
  readonly roundMs?: number;
  /** …and until this many responses came back. */
  readonly roundResponses?: number;
  /** How long a cap holds once found, and at most after tries that fell short… */
  readonly holdMs?: number;
  /** …which wait this long after the first, twice as long after each more in a row. */
  readonly retryMs?: number;
}

/**
 * The fewest requests in flight that get as many responses a second as more would. An API that
 * answers all it can answers more slowly, not more often: requests beyond that only wait at its
 * end and cost it work (on a shared machine, CPU the run needs). Measured in rounds (responses a
 * second, mean requests out) while the pacer is not what holds requests back, and only where
 * requests wait: more out than 4 × responses a second × the fastest response of the last ten
 * rounds. After three rounds without a cap (the first may still be filling the pipe), each try
 * runs two rounds with a quarter fewer in flight, kept while they bring 97 % of the responses a
 * second seen (the last two uncapped rounds' mean, or more since). The first try that falls short
 * gives back the cap before it (a first round under 90 % ends it at once); the cap then holds for
 * `holdMs`, and rounds without a cap measure again. A try that fell short is made again after
 * `retryMs`, twice as long after each more in a row (up to `holdMs`): rounds can be unlucky.
 */
export class PipeLimit {
  readonly #clock: Clock;
  readonly #roundMs: number;
  readonly #roundResponses: number;
  readonly #holdMs: number;
  readonly #retryMs: number;
  #cap = Number.POSITIVE_INFINITY;
  #roundStart: number | undefined;
  #responses = 0;
  #inFlightSum = 0;
  /** The pacer's lowest rate in the round. */
  #pacerRate = Number.POSITIVE_INFINITY;
  /** While rounds try fewer: the cap to give back, the responses a second to keep, those of the try's rounds so far. */
  #trying: { readonly cap: number; readonly best: number; readonly rounds: readonly number[] } | undefined;
  /** The cap holds until then. */
  #holdUntil = Number.NEGATIVE_INFINITY;
  /** Responses a second of the rounds without a cap since the last was paced. */
  #uncapped: number[] = [];
  /** Tries in a row that fell short. */
  #shortTries = 0;
  /** The fastest answer of the round, and of each of the last ten rounds. */
  #fastest = Number.POSITIVE_INFINITY;
  #fastests: number[] = [];

  constructor(clock: Clock, options: PipeLimitOptions = {}) {
    this.#clock = clock;
    this.#roundMs = options.roundMs ?? 500;
    this.#roundResponses = options.roundResponses ?? 40;
    this.#holdMs = options.holdMs ?? 30_000;
    this.#retryMs = options.retryMs ?? 3_000;
  }

  /** Requests in flight allowed (Infinity: no cap). */
  get cap(): number {
    return this.#cap;
  }

  /**
   * A response came back with `inFlight` requests out, itself included, and the pacer allowing
   * `pacerRate` requests a second: a round whose responses came near that is the pacer's, and
   * says nothing of the API.
   */
  responded(inFlight: number, pacerRate: number, latencyMs: number): void {
    const now = this.#clock.now();
    this.#roundStart ??= now;
    this.#responses++;
    this.#inFlightSum += inFlight;
    this.#pacerRate = Math.min(this.#pacerRate, pacerRate);
    this.#fastest = Math.min(this.#fastest, latencyMs);
    const elapsed = now - this.#roundStart;
    if (elapsed < this.#roundMs || this.#responses < this.#roundResponses) return;
    const perSecond = (this.#responses * 1000) / elapsed;
    const meanInFlight = this.#inFlightSum / this.#responses;
    const paced = this.#pacerRate < 1.5 * perSecond;
    this.#roundStart = now;
    this.#responses = 0;
    this.#inFlightSum = 0;
    this.#pacerRate = Number.POSITIVE_INFINITY;
    this.#fastests = [...this.#fastests.slice(-9), this.#fastest];
    this.#fastest = Number.POSITIVE_INFINITY;
    this.#round(now, perSecond, meanInFlight, paced);
  }

  #round(now: number, perSecond: number, meanInFlight: number, paced: boolean): void {
    const trying = this.#trying;
    this.#trying = undefined;
    if (trying !== undefined) {
      // A try is judged on two rounds (one can be lucky), unless the first already fell well short.
      const rounds = [...trying.rounds, perSecond];
      const mean = rounds.reduce((a, b) => a + b, 0) / rounds.length;
      if (paced) this.#cap = trying.cap;
      else if (rounds.length < 2 && perSecond >= 0.9 * trying.best) this.#trying = { ...trying, rounds };
      else if (mean >= 0.97 * trying.best) {
        this.#shortTries = 0;
        this.#tryFewer(now, Math.max(trying.best, mean), meanInFlight);
      } else {
        // Fell short: the API may answer as many as it is sent, or the round was unlucky; each
        // short one in a row waits twice as long before the next try.
        this.#hold(now, trying.cap, Math.min(this.#holdMs, this.#retryMs * 2 ** this.#shortTries));
        this.#shortTries++;
      }
      return;
    }
    if (paced) {
      this.#uncapped = [];
      return;
    }
    if (now < this.#holdUntil) return;
    if (this.#cap !== Number.POSITIVE_INFINITY) {
      // Rounds without a cap first: what the API gives now.
      this.#cap = Number.POSITIVE_INFINITY;
      this.#uncapped = [];
      return;
    }
    // The mark is the mean of two rounds after a first: that one may still be filling the pipe
    // (1,000 small pages from a slow API: 243 answers a second, then 370).
    this.#uncapped.push(perSecond);
    if (this.#uncapped.length < 3) return;
    const best = (this.#uncapped[1]! + this.#uncapped[2]!) / 2;
    this.#uncapped = [];
    // Tried only where requests wait: more out than 4 × answers a second × the fastest answer
    // (the requests an API that answers at once would need, with room for answers that take
    // twice the fastest). A slow API that is not busy (50-150 ms) has fewer out; each try costs
    // such a run a few per cent, in a short run more than it can ever win back.
    if (meanInFlight <= (4 * best * Math.min(...this.#fastests)) / 1000) {
      this.#hold(now, this.#cap, this.#holdMs);
      return;
    }
    this.#tryFewer(now, best, meanInFlight);
  }

  /** The next round runs with a quarter fewer requests in flight than this one had, to keep `best` responses a second. */
  #tryFewer(now: number, best: number, meanInFlight: number): void {
    const had = Math.min(this.#cap, Math.round(meanInFlight));
    const fewer = Math.ceil(had * 0.75);
    if (fewer >= had) {
      this.#hold(now, this.#cap, this.#holdMs);
      return;
    }
    this.#trying = { cap: this.#cap, best, rounds: [] };
    this.#cap = fewer;
  }

  #hold(now: number, cap: number, ms: number): void {
    this.#cap = cap;
    this.#holdUntil = now + ms;
  }
}
