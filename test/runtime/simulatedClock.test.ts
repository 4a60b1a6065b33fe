import { describe, expect, it } from 'vitest';
import { firstValueFrom, timer, map, toArray, interval, take } from 'rxjs';
import { createActor, createMachine } from 'xstate';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { seededRandom } from '../../src/runtime/random.js';

describe('SimulatedClock', () => {
  it('fires timers in due order and moves time only when driven', async () => {
    const clock = new SimulatedClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const c = clock.setTimeout(() => fired.push('c'), 150);
    clock.clearTimeout(c);
    expect(clock.now()).toBe(0);
    await clock.advance(150);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(150);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'b']);
  });

  it('runs a task through hours of sleeps instantly, waiting for tracked I/O first', async () => {
    const clock = new SimulatedClock(0);
    const result = await clock.run(async () => {
      await clock.sleep(3600_000);
      const io = clock.track(new Promise<number>((r) => setTimeout(() => r(clock.now()), 20)));
      clock.setTimeout(() => undefined, 10);
      return io;
    });
    expect(result).toBe(3600_000);
  });

  it('rejects an aborted sleep and reports a stalled task', async () => {
    const clock = new SimulatedClock(0);
    const ac = new AbortController();
    const slept = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    await expect(clock.run(() => new Promise(() => undefined))).rejects.toThrow(/stalled/);
  });

  it('drives RxJS through clockScheduler', async () => {
    const clock = new SimulatedClock(0);
    const scheduler = clockScheduler(clock);
    const values = await clock.run(() =>
      firstValueFrom(
        interval(1000, scheduler).pipe(
          take(3),
          map(() => clock.now()),
          toArray(),
        ),
      ),
    );
    expect(values).toEqual([1000, 2000, 3000]);
    const t = await clock.run(() => firstValueFrom(timer(5000, scheduler).pipe(map(() => clock.now()))));
    expect(t).toBe(8000);
  });

  it('drives XState delays through the clock option', async () => {
    const clock = new SimulatedClock(0);
    const machine = createMachine({ initial: 'a', states: { a: { after: { 60000: 'b' } }, b: { type: 'final' } } });
    const actor = createActor(machine, { clock }).start();
    await clock.advance(59_999);
    expect(actor.getSnapshot().value).toBe('a');
    await clock.advance(1);
    expect(actor.getSnapshot().value).toBe('b');
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(xs[0]);
  });
});
