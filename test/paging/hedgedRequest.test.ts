import { describe, expect, it } from 'vitest';
import { hedgeDelayMs, hedgedRequest, SupersededRequest, type HedgeOptions } from '../../src/paging/hedgedRequest.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

interface Sent {
  /** What the copy was sent with (`take`'s ticket); undefined for the first. */
  readonly ticket: string | undefined;
  readonly at: number;
  readonly signal: AbortSignal;
}

interface Hedged {
  readonly result: Promise<string>;
  readonly sent: Sent[];
  /** What the stream would count: copies sent or unused, requests superseded. */
  readonly log: string[];
  readonly clock: SimulatedClock;
}

/**
 * One hedged request under virtual time, late after 500 ms: the first copy answers after
 * `firstMs`, the second after `copy` ms or fails at once with it (each rejects with its signal's
 * reason when aborted).
 */
function hedge(firstMs: number, copy: number | Error, over: (clock: SimulatedClock) => Partial<HedgeOptions<string>> = () => ({})): Hedged {
  const clock = new SimulatedClock(0);
  const sent: Sent[] = [];
  const log: string[] = [];
  const send = (signal: AbortSignal, ticket?: string): Promise<string> => {
    sent.push({ ticket, at: clock.now(), signal });
    if (ticket !== undefined && copy instanceof Error) return Promise.reject(copy);
    return clock.sleep(ticket === undefined ? firstMs : (copy as number), signal).then(() => (ticket === undefined ? 'first' : 'copy'));
  };
  const options: HedgeOptions<string> = {
    clock,
    signal: new AbortController().signal,
    delayMs: 500,
    mayHedge: () => true,
    take: async () => 'ticket',
    onCopy: (kind) => void log.push(`copy ${kind}`),
    onSuperseded: () => void log.push('superseded'),
    ...over(clock),
  };
  return { result: clock.run(() => hedgedRequest(send, options)), sent, log, clock };
}

const timeline = (sent: readonly Sent[]): [string | undefined, number][] => sent.map(({ ticket, at }) => [ticket, at]);

describe('hedgedRequest', () => {
  it('sends no copy of a request that answers in time', async () => {
    const h = hedge(400, 100);
    expect(await h.result).toBe('first');
    expect(timeline(h.sent)).toEqual([[undefined, 0]]);
    expect(h.log).toEqual([]);
    expect(h.clock.now()).toBe(400);
  });

  it('sends a copy of a late request; the copy answering first wins and the first is aborted as superseded', async () => {
    const h = hedge(60_000, 100);
    expect(await h.result).toBe('copy');
    expect(timeline(h.sent)).toEqual([
      [undefined, 0],
      ['ticket', 500],
    ]);
    expect(h.clock.now()).toBe(600);
    expect(h.sent[0]!.signal.reason).toBeInstanceOf(SupersededRequest);
    expect(h.sent[1]!.signal.aborted).toBe(false);
    expect(h.log).toEqual(['copy sent', 'superseded']);
  });

  it('keeps the first answer when it comes before the copy, aborting the copy', async () => {
    const h = hedge(700, 5000);
    expect(await h.result).toBe('first');
    expect(h.clock.now()).toBe(700);
    expect(h.sent[1]!.signal.reason).toBeInstanceOf(SupersededRequest);
    expect(h.log).toEqual(['copy sent', 'superseded']);
  });

  it('waits for the run tail: asks again every delay until a copy may go', async () => {
    const asked: number[] = [];
    const h = hedge(60_000, 100, (clock) => ({ mayHedge: () => asked.push(clock.now()) >= 3 }));
    expect(await h.result).toBe('copy');
    expect(asked).toEqual([500, 1000, 1500]);
    expect(timeline(h.sent)).toEqual([
      [undefined, 0],
      ['ticket', 1500],
    ]);
  });

  it('says once when the request turns late, before asking whether a copy may go; not at all when it answers in time', async () => {
    const events: string[] = [];
    const late = hedge(60_000, 100, (clock) => ({
      onLate: () => void events.push(`late ${clock.now()}`),
      mayHedge: () => events.push(`asked ${clock.now()}`) >= 3,
    }));
    expect(await late.result).toBe('copy');
    expect(events).toEqual(['late 500', 'asked 500', 'asked 1000']);
    const onTime: string[] = [];
    const h = hedge(400, 100, () => ({ onLate: () => void onTime.push('late') }));
    expect(await h.result).toBe('first');
    expect(onTime).toEqual([]);
  });

  it('sends no copy while others wait for the rate, nor when no turn is given', async () => {
    for (const over of [{ mayHedge: () => false }, { take: async () => undefined }]) {
      const h = hedge(3000, 100, () => over);
      expect(await h.result).toBe('first');
      expect(h.sent).toHaveLength(1);
      expect(h.log).toEqual([]);
      expect(h.clock.now()).toBe(3000);
    }
  });

  it('gives up the wait for the turn when the first answers meanwhile, and returns that answer at once', async () => {
    const waits: AbortSignal[] = [];
    const h = hedge(600, 100, (clock) => ({
      take: (signal) => {
        waits.push(signal);
        return clock.sleep(200, signal).then(
          () => 'ticket',
          () => undefined,
        );
      },
    }));
    expect(await h.result).toBe('first');
    expect(h.clock.now()).toBe(600);
    expect(waits[0]!.aborted).toBe(true);
    expect(h.sent).toHaveLength(1);
    expect(h.log).toEqual([]);
  });

  it('counts a turn that came all the same (its wait not given up) as unused', async () => {
    const h = hedge(600, 100, (clock) => ({ take: () => clock.sleep(300).then(() => 'ticket') }));
    expect(await h.result).toBe('first');
    expect(h.clock.now()).toBe(600);
    await h.clock.advance(200);
    expect(h.sent).toHaveLength(1);
    expect(h.log).toEqual(['copy unused']);
  });

  it('settles with the first copy to settle, an error included, and aborts both with the run', async () => {
    await expect(hedge(60_000, new Error('reset')).result).rejects.toThrow('reset');

    const run = new AbortController();
    const h = hedge(60_000, 60_000, () => ({ signal: run.signal }));
    h.clock.setTimeout(() => run.abort(new Error('cancelled')), 1000);
    await expect(h.result).rejects.toThrow('cancelled');
    expect(h.sent.every((s) => s.signal.aborted)).toBe(true);
  });

  it('counts a request late after twice the p95 of the answers, at least 300 ms, and after 2 s before 20 answers', () => {
    expect(hedgeDelayMs(undefined, 0)).toBe(2000);
    expect(hedgeDelayMs(40, 19)).toBe(2000);
    expect(hedgeDelayMs(40, 20)).toBe(300);
    expect(hedgeDelayMs(900, 500)).toBe(1800);
  });
});
