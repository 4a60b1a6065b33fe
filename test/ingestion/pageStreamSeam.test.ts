import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { tallyEvents } from '../support/tallyEvents.js';
import { pageStream, type PageStream } from '../../src/paging/pageStream.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { seededRandom } from '../../src/runtime/random.js';
import { createRuntime } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch } from '../../src/simulator/index.js';
import { simAuth } from '../paging/simAuth.js';
import { fakeDeps, input, run, type Harness } from '../machines/runHarness.js';
import { provideIngestionRun } from '../../src/ingestion/provideIngestionRun.js';
import { createTimelineRecorder } from '../../src/ingestion/timelineRecorder.js';
import { simPaging } from '../support/simPaging.js';
import { recordCount } from '../../src/staging/recordCount.js';

/** The machine driven by the real page stream against the in-memory simulator, on virtual time. */
function realStreamHarness(seed: number) {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const simulator = createSimulatorFetch(
    { profile: 'flaky', records: 1500, seed, rateLimit: 5, rateLimitHeaders: false, tokenLifetimeSeconds: 2 },
    clock,
  );
  const runtime = createRuntime({ clock, random: seededRandom(seed), fetch: simulator.fetch });
  const auth = simAuth(simulator.fetch, clock, simulator.url, 'demo-password', false);
  let stagedRecords = 0;
  const streams: PageStream[] = [];
  const events: StreamEvent[] = [];
  const { deps, calls } = fakeDeps(clock, {
    fetchPages: (_input, signal) => {
      const stream = pageStream(
        { url: `${simulator.url}/customers`, ...simPaging('page', 50), signal },
        {
          runtime,
          auth,
          scheduler: clockScheduler(clock),
          stage: async (pages) => void pages.forEach((page) => (stagedRecords += recordCount(page))),
        },
      );
      streams.push(stream);
      return stream.pipe(tap((event) => events.push(event)));
    },
  });
  const recorder = createTimelineRecorder(clock);
  const machine = provideIngestionRun(deps, { clock, timeline: () => recorder.timeline() });
  const h: Harness = { clock, calls, machine, recorder, stream: { subscribed: 0, unsubscribed: 0, aborted: [], inputs: [] } };
  return { h, streams, events, staged: () => stagedRecords };
}

describe('the seam with the real page stream', () => {
  it('counts what the stream told, shows its pauses, and never restarts it', async () => {
    const { h, streams, events, staged } = realStreamHarness(11);
    const { report } = await run(h, input);
    expect(report.status).toBe('succeeded');
    expect(streams).toHaveLength(1);
    const counted = tallyEvents(events);
    const stats = counted.requests;
    const completed = events.find((e) => e.type === 'stream.completed');
    expect(report.pages.staged).toBe(completed?.type === 'stream.completed' ? completed.pages : NaN);
    expect(report.records.received).toBe(completed?.type === 'stream.completed' ? completed.records : NaN);
    expect(report.records.received).toBe(staged());
    expect(report.records.received).toBe(1500);
    expect(report.requests.retries).toBe(stats.retries);
    expect(report.requests.rateLimited).toBe(stats.rateLimited);
    expect(report.requests.tokenRefreshes).toBe(stats.tokenRefreshes);
    for (const [status, n] of Object.entries(stats.retriesByStatus)) {
      if (/^\d+$/.test(status)) expect(report.requests.retriesByStatus[status]).toBe(n);
    }
    // The flaky world with a tight limit does rate-limit us: the machine showed those pauses.
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(report.timeline.some((v) => v.state === 'ingesting.backingOff')).toBe(true);
    expect(stats.tokenRefreshes).toBeGreaterThan(0);
    expect(report.timeline.some((v) => v.state === 'ingesting.refreshingToken')).toBe(true);
    // The pause the machine shows is the pause the stream took (to the rounded ms of each visit).
    const pauses = report.timeline.filter((v) => v.state === 'ingesting.backingOff').length;
    expect(Math.abs(report.requests.rateLimitPauseMs - streams[0]!.gauges().pauseMs)).toBeLessThanOrEqual(pauses);
    // Every attempt is counted, 401s included, and the statuses add up to the total.
    expect(report.requests.total).toBe(stats.total);
    expect(report.requests.byStatus).toEqual(stats.byStatus);
    expect(Object.values(report.requests.byStatus).reduce((a, b) => a + b, 0)).toBe(report.requests.total);
    expect(report.requests.byStatus['401']).toBeGreaterThan(0);
    expect(report.anomalies).toEqual([]);
  });
});
