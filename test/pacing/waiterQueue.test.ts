import { describe, expect, it } from 'vitest';
import { WaiterQueue } from '../../src/pacing/waiterQueue.js';

/** A queue whose pump admits while `free` allows, counting pumps. */
function harness(options?: { pumpOnAbort?: boolean }): { queue: WaiterQueue<string>; pumps: () => number; free: { n: number } } {
  const free = { n: 0 };
  let pumps = 0;
  const queue: WaiterQueue<string> = new WaiterQueue<string>(() => {
    pumps++;
    while (queue.length > 0 && free.n > 0) {
      free.n--;
      queue.admit(`turn ${pumps}`);
    }
  }, options);
  return { queue, pumps: () => pumps, free };
}

const settled = async <T>(p: Promise<T>): Promise<'pending' | 'fulfilled' | 'rejected'> => {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  p.then(
    () => (state = 'fulfilled'),
    () => (state = 'rejected'),
  );
  await Promise.resolve();
  await Promise.resolve();
  return state;
};

describe('WaiterQueue', () => {
  it('pumps on join, so a waiter with room goes at once with what admit hands it', async () => {
    const { queue, pumps, free } = harness();
    free.n = 1;
    await expect(queue.join()).resolves.toBe('turn 1');
    expect(pumps()).toBe(1);
    expect(queue.length).toBe(0);
  });

  it('admits first come, first served', async () => {
    const { queue } = harness();
    const order: string[] = [];
    const all = ['a', 'b', 'c'].map((name) => queue.join().then(() => order.push(name)));
    expect(queue.length).toBe(3);
    expect(queue.admit('x')).toBe(true);
    expect(queue.admit('x')).toBe(true);
    expect(queue.admit('x')).toBe(true);
    expect(queue.admit('x')).toBe(false);
    await Promise.all(all);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('admits those that joined ahead first, each group first come, first served, an aborted one keeping the others in place', async () => {
    const { queue } = harness();
    const order: string[] = [];
    const ac = new AbortController();
    const join = (name: string, ahead: boolean, signal?: AbortSignal): Promise<unknown> =>
      queue.join(signal, ahead).then(
        () => order.push(name),
        () => order.push(`${name} aborted`),
      );
    const all = [join('a', false), join('b', true), join('c', false), join('d', true, ac.signal), join('e', true)];
    ac.abort(new Error('gave up'));
    await Promise.resolve();
    // One ahead left before the next one joins ahead: it must go after e, not before.
    expect(queue.admit('x')).toBe(true);
    all.push(join('f', true));
    while (queue.admit('x'));
    await Promise.all(all);
    expect(order).toEqual(['d aborted', 'b', 'e', 'f', 'a', 'c']);
  });

  it("an aborted waiter leaves the queue and rejects with the signal's reason; the others keep their turn", async () => {
    const { queue, pumps } = harness();
    const ac = new AbortController();
    const first = queue.join();
    const aborted = queue.join(ac.signal);
    const last = queue.join();
    ac.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect(queue.length).toBe(2);
    expect(pumps()).toBe(3); // no pump on abort unless asked for
    queue.admit('one');
    queue.admit('two');
    await expect(first).resolves.toBe('one');
    await expect(last).resolves.toBe('two');
  });

  it('rejects an already aborted signal at once, without queueing or pumping', async () => {
    const { queue, pumps } = harness();
    await expect(queue.join(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(queue.length).toBe(0);
    expect(pumps()).toBe(0);
  });

  it('pumps again after an abort when asked to (pumpOnAbort)', async () => {
    const { queue, pumps } = harness({ pumpOnAbort: true });
    const ac = new AbortController();
    const waiting = queue.join(ac.signal);
    ac.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(pumps()).toBe(2);
    expect(queue.length).toBe(0);
  });

  it('an admitted waiter stops listening: a later abort neither rejects it nor disturbs the queue', async () => {
    const { queue, pumps } = harness({ pumpOnAbort: true });
    const ac = new AbortController();
    const admitted = queue.join(ac.signal);
    const next = queue.join();
    queue.admit('go');
    ac.abort(new Error('too late'));
    await expect(admitted).resolves.toBe('go');
    expect(await settled(next)).toBe('pending');
    expect(queue.length).toBe(1);
    expect(pumps()).toBe(2);
  });
});
