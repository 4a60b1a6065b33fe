import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, setup } from 'xstate';
import { createSeriesRecorder } from '../../src/ingestion/seriesRecorder.js';
import { createTimelineRecorder, flattenStateValue } from '../../src/ingestion/timelineRecorder.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

describe('flattenStateValue', () => {
  it.each([
    ['idle', 'idle'],
    [{ ingesting: 'backingOff' }, 'ingesting.backingOff'],
    [{ a: { b: 'c' } }, 'a.b.c'],
    [{ p: { x: 'one', y: { z: 'two' } } }, 'p.x.one, p.y.z.two'],
    [{ p: {} }, 'p'],
  ])('%j -> %s', (value, name) => {
    expect(flattenStateValue(value)).toBe(name);
  });
});

describe('createTimelineRecorder', () => {
  const machine = setup({
    actors: { work: fromPromise<number, number>(async ({ input }) => input * 2) },
  }).createMachine({
    initial: 'a',
    states: {
      a: { after: { 1000: 'b' } },
      b: {
        invoke: { src: 'work', input: 21, onDone: 'c' },
      },
      c: {
        initial: 'c1',
        on: { tick: { target: '.c1', reenter: true } },
        states: { c1: { after: { 500: 'c2' } }, c2: { after: { 250: '#done' } } },
      },
      done: { id: 'done', type: 'final' },
    },
  });

  it('records each state the root enters, when and for how long, on the injected clock', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const recorder = createTimelineRecorder(clock);
    const actor = createActor(machine, { clock, inspect: recorder.inspect }).start();
    await clock.advance(1000);
    await clock.advance(200);
    // Re-entering the same state is not a new visit.
    actor.send({ type: 'tick' });
    await clock.advance(500);
    expect(recorder.timeline().map((v) => [v.state, v.durationMs])).toEqual([
      ['a', 1000],
      // The promise actor resolved with no time passing; its own snapshots are not states of the run.
      ['b', 0],
      ['c.c1', 700],
      ['c.c2', 0],
    ]);
    await clock.advance(250);
    const timeline = recorder.timeline();
    expect(timeline.map((v) => [v.state, v.durationMs])).toEqual([
      ['a', 1000],
      ['b', 0],
      ['c.c1', 700],
      ['c.c2', 250],
      ['done', 0],
    ]);
    expect(timeline.map((v) => v.enteredAt)).toEqual(
      [0, 1000, 1000, 1700, 1950].map((ms) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString()),
    );
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('gives the open visit its duration up to now', async () => {
    const clock = new SimulatedClock(0);
    const recorder = createTimelineRecorder(clock);
    createActor(machine, { clock, inspect: recorder.inspect }).start();
    await clock.advance(400);
    expect(recorder.timeline()).toEqual([{ state: 'a', enteredAt: new Date(0).toISOString(), durationMs: 400 }]);
    await clock.advance(100);
    expect(recorder.timeline()[0]!.durationMs).toBe(500);
  });

  it('gives the run series the start it took, on a clock that moves between any two reads', () => {
    let ms = Date.UTC(2026, 0, 1);
    const clock = { now: () => ms++, setTimeout, clearTimeout };
    const recorder = createTimelineRecorder(clock);
    const series = createSeriesRecorder(clock, recorder.startedAtMs);
    // In this order, as a run passes them.
    createActor(machine, {
      inspect: (event) => {
        recorder.inspect.next?.(event);
        series.inspect.next?.(event);
      },
    }).start();
    const start = recorder.timeline()[0]!.enteredAt;
    expect(recorder.startedAtMs()).toBe(Date.parse(start));
    expect(series.series(ms).startedAt).toBe(start);
  });
});
