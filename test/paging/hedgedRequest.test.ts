import { describe, expect, it } from 'vitest';
import { hedgeDelayMs, hedgedRequest, SupersededRequest, type HedgeOptions } from '../../src/paging/hedgedRequest.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

interface Sent {
  /** What the copy was sent with (`take`'s ticket); undefined for the first. */
  readonly ticket: string | undefined;
  readonly at: number;
  readonly signal: AbortSignal;
}

/** A request that answers `answer` after `ms` of virtual time, or rejects with its signal's reason. */
function answering(clock: SimulatedClock, sent: Sent[], plan: (copy: boolean) => { ms: number; answer: string }) {
  return (signal: AbortSignal, ticket?: string): Promise<string> => {
    sent.push({ ticket, at: clock.now(), signal });
    const { ms, answer } = plan(ticket !== undefined);
    return clock.sleep(ms, signal).then(() => answer);
  };
}

/** Options whose callbacks log what the stream would count. */
function options(clock: SimulatedClock, log: string[], over: Partial<HedgeOptions<string>> = {}): HedgeOptions<string> {
  return {
    clock,
    signal: new AbortController().signal,
    delayMs: 500,
    mayHedge: () => true,
    take: async () => 'ticket',
    onCopy: (kind) => void log.push(`copy ${kind}`),
    onSuperseded: () => void log.push('superseded'),
    ...over,
  };
}

describe('hedgedRequest', () => {
  it('sends no copy of a request that answers in time', async () => {
    const clock = new SimulatedClock(0);
    const sent: Sent[] = [];
    const log: string[] = [];
    const result = await clock.run(() =>
      hedgedRequest(
        answering(clock, sent, () => ({ ms: 400, answer: 'first' })),
        options(clock, log),
      ),
    );
    expect(result).toBe('first');
    expect(sent.map((s) => s.ticket)).toEqual([undefined]);
    expect(log).toEqual([]);
    expect(clock.now()).toBe(400);
  });

  it('sends a copy of a late request; the copy answering first wins and the first is aborted as superseded', async () => {
    const clock = new SimulatedClock(0);
    const sent: Sent[] = [];
    const log: string[] = [];
    const result = await clock.run(() =>
      hedgedRequest(
        answering(clock, sent, (copy) => (copy ? { ms: 100, answer: 'copy' } : { ms: 60_000, answer: 'first' })),
        options(clock, log),
      ),
    );
    expect(result).toBe('copy');
    expect(sent.map(({ ticket, at }) => [ticket, at])).toEqual([
      [undefined, 0],
      ['ticket', 500],
    ]);
    expect(clock.now()).toBe(600);
    expect(sent[0]!.signal.reason).toBeInstanceOf(SupersededRequest);
    expect(sent[1]!.signal.aborted).toBe(false);
    expect(log).toEqual(['copy sent', 'superseded']);
  });

  it('keeps the first answer when it comes before the copy, aborting the copy', async () => {
    const clock = new SimulatedClock(0);
    const sent: Sent[] = [];
    const log: string[] = [];
    const result = await clock.run(() =>
      hedgedRequest(
        answering(clock, sent, (copy) => (copy ? { ms: 5000, answer: 'copy' } : { ms: 700, answer: 'first' })),
        options(clock, log),
      ),
    );
    expect(result).toBe('first');
    expect(clock.now()).toBe(700);
    expect(sent[1]!.signal.reason).toBeInstanceOf(SupersededRequest);
    expect(log).toEqual(['copy sent', 'superseded']);
  });

  it('waits for the run tail: asks again every delay until a copy may go', async () => {
    const clock = new SimulatedClock(0);
    const sent: Sent[] = [];
    const asked: number[] = [];
    const result = await clock.run(() =>
      hedgedRequest(
        answering(clock, sent, (copy) => (copy ? { ms: 100, answer: 'copy' } : { ms: 60_000, answer: 'first' })),
        options(clock, [], { mayHedge: () => asked.push(clock.now()) >= 3 }),
      ),
    );
    expect(result).toBe('copy');
    expect(asked).toEqual([500, 1000, 1500]);
    expect(sent.map(({ ticket, at }) => [ticket, at])).toEqual([
      [undefined, 0],
      ['ticket', 1500],
    ]);
  });

  it('sends no copy while others wait for the rate, nor when no turn is given', async () => {
    for (const over of [{ mayHedge: () => false }, { take: async () => undefined }]) {
      const clock = new SimulatedClock(0);
      const sent: Sent[] = [];
      const log: string[] = [];
      const result = await clock.run(() =>
        hedgedRequest(
          answering(clock, sent, () => ({ ms: 3000, answer: 'first' })),
          options(clock, log, over),
        ),
      );
      expect(result).toBe('first');
      expect(sent).toHaveLength(1);
      expect(log).toEqual([]);
      expect(clock.now()).toBe(3000);
    }
  });

  it('gives an unused turn back when the first answers while the turn is awaited', async () => {
    const clock = new SimulatedClock(0);
    const sent: Sent[] = [];
    const log: string[] = [];
    const result = await clock.run(() =>
      hedgedRequest(
        answering(clock, sent, () => ({ ms: 600, answer: 'first' })),
        options(clock, log, { take: () => clock.sleep(200).then(() => 'ticket') }),
      ),
    );
    expect(result).toBe('first');
    expect(sent).toHaveLength(1);
    expect(log).toEqual(['copy unused']);
  });

  it('settles with the first copy to settle, an error included, and aborts both with the run', async () => {
    const clock = new SimulatedClock(0);
    const failing = (signal: AbortSignal, ticket?: string): Promise<string> =>
      ticket !== undefined ? Promise.reject(new Error('reset')) : clock.sleep(60_000, signal).then(() => 'first');
    await expect(clock.run(() => hedgedRequest(failing, options(clock, [])))).rejects.toThrow('reset');

    const run = new AbortController();
    const sent: Sent[] = [];
    const pending = clock.run(() =>
      hedgedRequest(
        answering(clock, sent, () => ({ ms: 60_000, answer: 'never' })),
        options(clock, [], { signal: run.signal }),
      ),
    );
    clock.setTimeout(() => run.abort(new Error('cancelled')), 1000);
    await expect(pending).rejects.toThrow('cancelled');
    expect(sent.every((s) => s.signal.aborted)).toBe(true);
  });

  it('counts a request late after twice the p95 of the answers, at least 300 ms, and after 2 s before 20 answers', () => {
    expect(hedgeDelayMs(undefined, 0)).toBe(2000);
    expect(hedgeDelayMs(40, 19)).toBe(2000);
    expect(hedgeDelayMs(40, 20)).toBe(300);
    expect(hedgeDelayMs(900, 500)).toBe(1800);
  });
});
