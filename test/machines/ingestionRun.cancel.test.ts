import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { CANCEL_GRACE_MS } from '../../machines/ingestionRun.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import type { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { STEP_MS, harness, input, run, staged, visits, type Harness } from './runHarness.js';

const CANCELLED = 'The run was cancelled (SIGINT); the checkpoint is kept: run again with the same run id to resume.';

/**
 * A stream that honours its signal as the machine expects: a page every 200 ms; on abort it
 * finishes the page in flight (100 ms later), then completes.
 */
function politeStream(clock: SimulatedClock, log: string[]) {
  return (_input: unknown, signal: AbortSignal): Observable<StreamEvent> =>
    new Observable<StreamEvent>((subscriber) => {
      let page = 0;
      let timer: unknown;
      const next = (): void => {
        timer = clock.setTimeout(() => {
          subscriber.next(staged(++page, 10));
          next();
        }, 200);
      };
      next();
      signal.addEventListener(
        'abort',
        () => {
          log.push(`abort: ${String(signal.reason)}`);
          clock.clearTimeout(timer);
          timer = clock.setTimeout(() => {
            subscriber.next(staged(++page, 10));
            subscriber.complete();
          }, 100);
        },
        { once: true },
      );
      return () => clock.clearTimeout(timer);
    });
}

function cancelAt(h: Harness, ms: number, reason = 'SIGINT'): AbortSignal {
  const ac = new AbortController();
  h.clock.setTimeout(() => ac.abort(reason), ms);
  return ac.signal;
}

/** Starts the provided machine by hand, to send events at chosen moments. */
function start(h: Harness) {
  const actor = createActor(h.machine, { input, clock: h.clock, inspect: h.recorder.inspect });
  actor.start();
  return actor;
}

describe('ingestion run machine: cancel (SIGINT/SIGTERM)', () => {
  it('stops the stream at a page boundary, then reports a cancelled failure', async () => {
    const log: string[] = [];
    const h = harness({ deps: (clock) => ({ fetchPages: politeStream(clock, log) }) });
    const { report, snapshots } = await run(h, input, cancelAt(h, STEP_MS.prepare + 450));

    expect(log).toEqual(['abort: SIGINT']);
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 200],
      ['ingesting.fetching', 450],
      ['ingesting.stopping', 100],
      ['reporting', 0],
    ]);
    // Pages 1 and 2 came before the cancel; page 3 was in flight and finished while stopping.
    expect(report.pages.staged).toBe(3);
    expect(report.status).toBe('cancelled');
    expect(report.error).toBe(CANCELLED);
    expect(h.calls.write).toBe(0);
    expect(h.calls.drafts[0]!.cancelled).toBe(true);
    expect(snapshots.at(-1)!.context.cancelled).toBe(true);
    expect(snapshots.at(-1)!.value).toBe('failed');
  });

  it('gives up on a stream that ignores the stop after the named grace delay, and unsubscribes it', async () => {
    const h = harness({ script: [[100_000, staged(1, 1)]] });
    const { report } = await run(h, input, cancelAt(h, STEP_MS.prepare + 50));
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 200],
      ['ingesting.fetching', 50],
      ['ingesting.stopping', CANCEL_GRACE_MS],
      ['reporting', 0],
    ]);
    expect(h.stream.aborted).toEqual(['SIGINT']);
    expect(h.stream.unsubscribed).toBe(1);
    expect(report.error).toBe(CANCELLED);
  });

  it('an abort error from the stream while stopping is the expected end, not a second failure', async () => {
    const h = harness({
      deps: (clock) => ({
        fetchPages: (_i, signal) =>
          new Observable<StreamEvent>((subscriber) => {
            signal.addEventListener('abort', () => clock.setTimeout(() => subscriber.error(signal.reason), 10), { once: true });
          }),
      }),
    });
    const { report } = await run(h, input, cancelAt(h, STEP_MS.prepare + 50));
    expect(visits(report.timeline).slice(2, 3)).toEqual([['ingesting.stopping', 10]]);
    expect(report.error).toBe(CANCELLED);
  });

  it('a second cancel while stopping stops at once', async () => {
    const h = harness({ script: [[100_000, staged(1, 1)]] });
    const actor = start(h);
    await h.clock.advance(STEP_MS.prepare + 50);
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await h.clock.advance(10);
    expect(actor.getSnapshot().value).toEqual({ ingesting: 'stopping' });
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await h.clock.advance(STEP_MS.report);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(visits(h.recorder.timeline()).slice(2, 4)).toEqual([
      ['ingesting.stopping', 10],
      ['reporting', STEP_MS.report],
    ]);
  });

  it('cancel while authenticating aborts prepare and reports', async () => {
    const h = harness();
    const { report } = await run(h, input, cancelAt(h, 120, 'SIGTERM'));
    expect(h.calls.signals.prepare?.aborted).toBe(true);
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 120],
      ['reporting', 0],
    ]);
    expect(report.error).toMatch(/^The run was cancelled \(SIGTERM\)/);
    expect(h.stream.subscribed).toBe(0);
  });

  it('cancel while writing or uploading aborts that step and reports', async () => {
    for (const [at, step] of [
      [STEP_MS.prepare + 100, 'write'],
      [STEP_MS.prepare + STEP_MS.write + 100, 'upload'],
    ] as const) {
      const h = harness({ script: [[0, { type: 'stream.completed', pages: 0, records: 0 }]] });
      const { report } = await run(h, input, cancelAt(h, at));
      expect(h.calls.signals[step]?.aborted).toBe(true);
      expect(report.status).toBe('cancelled');
      expect(report.error).toBe(CANCELLED);
      expect(report.timeline.at(-2)!.durationMs).toBe(100);
    }
  });

  it('a cancel while reporting is ignored so the report completes', async () => {
    const h = harness({ script: [[0, { type: 'stream.completed', pages: 0, records: 0 }]] });
    const actor = start(h);
    await h.clock.advance(STEP_MS.prepare + STEP_MS.write + STEP_MS.upload + 10);
    expect(actor.getSnapshot().value).toBe('reporting');
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await h.clock.advance(STEP_MS.report);
    expect(actor.getSnapshot().value).toBe('succeeded');
    expect(actor.getSnapshot().context.cancelled).toBe(false);
    expect(actor.getSnapshot().output?.status).toBe('succeeded');
  });

  it('a signal already aborted before the run starts cancels it at once', async () => {
    const h = harness();
    const ac = new AbortController();
    ac.abort('SIGINT');
    const { report } = await run(h, input, ac.signal);
    expect(report.error).toBe(CANCELLED);
    expect(visits(report.timeline)).toEqual([
      ['authenticating', 0],
      ['reporting', 0],
    ]);
  });
});
