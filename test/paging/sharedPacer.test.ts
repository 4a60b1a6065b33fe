import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/pacing/pacer.js';
import { pageStream } from '../../src/paging/pageStream.js';
import type { StagedPage } from '../../src/paging/pageStreamOptions.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { seededRandom } from '../../src/runtime/random.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch } from '../../src/simulator/index.js';
import { simPaging } from '../support/simPaging.js';
import { recordingFetch } from './recordingFetch.js';
import { simAuth } from './simAuth.js';
import { recordCount } from '../../src/staging/recordCount.js';

/** Two resources' streams on one API, 40 pages each; their pacer shared or each its own. */
async function twoStreams(shared: boolean) {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const sim = createSimulatorFetch({ profile: 'calm', faultsOnLogin: false, records: 4000, orders: 4000 }, clock);
  const rec = recordingFetch(sim.fetch, clock);
  const runtime = createRuntime({ clock, random: seededRandom(3), fetch: rec.fetch });
  const pacer = shared ? createPacer(clock, { maxRate: 20 }) : undefined;
  const staged: StagedPage[] = [];
  const stream = (path: string, paging: ReturnType<typeof simPaging>) =>
    lastValueFrom(
      pageStream(
        { url: `${sim.url}${path}`, ...paging, maxRate: 20 },
        {
          runtime,
          auth: simAuth(sim.fetch, clock, sim.url),
          scheduler: clockScheduler(clock),
          stage: async (pages) => void staged.push(...pages),
          pacer,
        },
      ),
      { defaultValue: undefined },
    );
  const start = clock.now();
  await clock.run(() => Promise.all([stream('/customers', simPaging('page', 100)), stream('/orders', simPaging('cursor', 100))]));
  pacer?.limiter.dispose();
  const sent = rec.log.map((x) => x.sentAt - start);
  // The most requests sent within any one second, both streams together.
  const peak = Math.max(...sent.map((t) => sent.filter((u) => u >= t && u < t + 1000).length));
  return { records: staged.reduce((n, p) => n + recordCount(p), 0), requests: sent.length, peak };
}

describe('one pacer per API origin', () => {
  it('the resources of one API keep together to its one rate; each with its own pacer, they would double it', async () => {
    const shared = await twoStreams(true);
    expect(shared.records).toBe(8000);
    expect(shared.requests).toBe(80);
    expect(shared.peak).toBeLessThanOrEqual(21);
    const apart = await twoStreams(false);
    expect(apart.records).toBe(8000);
    expect(apart.peak).toBeGreaterThan(30);
  });
});
