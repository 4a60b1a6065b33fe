import type { InspectionEvent, Observer } from 'xstate';
import type { IngestionRunEvent } from '../../machines/ingestionRun.js';
import type { StreamEvent } from '../paging/streamEvent.js';
import type { RunSeries } from '../report/runReport.js';
import { RunSeriesBuilder } from '../run/runSeries.js';

export interface SeriesRecorder {
  /** Pass as (or with) the actor's `inspect` option. */
  readonly inspect: Observer<InspectionEvent>;
  /** The series from the recorder's creation up to `untilMs`. */
  series(untilMs: number): RunSeries;
}

/**
 * Feeds the run machine's events, as the machine receives them, into a RunSeriesBuilder with
 * the clock time of their arrival: the same events `countEvent` counts, so series and counters agree.
 */
export function createSeriesRecorder(clock: { now(): number }, startedAtMs: () => number | undefined): SeriesRecorder {
  // Starts with the machine's first snapshot, at the run's start as the timeline took it
  // (`startedAtMs`, when given): a clock read of its own could be a millisecond later.
  let builder: RunSeriesBuilder | undefined;
  return {
    inspect: {
      next(event) {
        if (event.actorRef.sessionId !== event.rootId) return;
        if (event.type === '@xstate.snapshot') builder ??= new RunSeriesBuilder(startedAtMs() ?? clock.now());
        if (event.type !== '@xstate.event') return;
        // The root also receives `run.cancel` and the stream actor's end signals: the builder ignores them.
        const received = event.event as IngestionRunEvent;
        const now = clock.now();
        if (received.type === 'stream.counted') for (const e of received.events) builder?.record(e, now);
        else builder?.record(received as StreamEvent, now);
      },
    },
    series: (untilMs) => (builder ??= new RunSeriesBuilder(untilMs)).series(untilMs),
  };
}
