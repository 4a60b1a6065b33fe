import { Subject } from 'rxjs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { ingestionRun, type IngestionRunEvent } from '../../machines/ingestionRun.js';
import { fromPageStream } from '../../src/ingestion/pageStreamActor.js';
import { fallbackReport } from '../../src/run/draftReport.js';
import type { PrepareInput, RunSummary } from '../../src/run/runTypes.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import type { RunReport } from '../../src/report/runReport.js';
import { delivery, input, staged, writtenFile } from '../machines/runHarness.js';

/** The run machine on a stream the test pushes into, with the events its root receives. */
function start() {
  const stream = new Subject<StreamEvent>();
  const received: IngestionRunEvent[] = [];
  const machine = ingestionRun.provide({
    actors: {
      prepare: fromPromise<void, PrepareInput>(async () => undefined),
      fetchPages: fromPageStream(() => stream),
      writeFinalFile: fromPromise(async () => writtenFile),
      uploadFile: fromPromise(async () => delivery),
      writeReport: fromPromise<RunReport, RunSummary>(async ({ input: summary }) => fallbackReport(summary)),
    },
  });
  const actor = createActor(machine, {
    input,
    inspect: (e) => {
      if (e.type === '@xstate.event' && e.actorRef === actor) received.push(e.event as IngestionRunEvent);
    },
  });
  actor.start();
  const types = () => received.filter((e) => !e.type.startsWith('xstate.')).map((e) => e.type);
  return { stream, actor, received, types };
}

/** The cancelled run's report counts page 1: one request, ten records. */
async function expectOnePageCounted(actor: ReturnType<typeof start>['actor']): Promise<void> {
  const report = await toPromise(actor);
  expect(report.status).toBe('cancelled');
  expect(report.pages.staged).toBe(1);
  expect(report.records.received).toBe(10);
  expect(report.requests.total).toBe(1);
}

const sent = (page: number): StreamEvent => ({ type: 'request.sent', page });
const done = (page: number): StreamEvent => ({ type: 'request.done', page, outcome: '200', bytes: 10 });

describe('fromPageStream', () => {
  it("sends the counted events of one turn of the event loop as one machine event, before any other event, in the stream's order", async () => {
    const { stream, actor, received, types } = start();
    await nextTurn();
    expect(actor.getSnapshot().value).toEqual({ ingesting: 'fetching' });
    stream.next(sent(1));
    stream.next(done(1));
    stream.next(staged(1, 10));
    stream.next({ type: 'rateLimit.hit', page: 2, waitMs: 100, ratePerSecond: 1 });
    stream.next(sent(2));
    // Page 2's `request.sent` waits for the end of the turn, not for a later event.
    expect(types()).toEqual(['stream.counted', 'rateLimit.hit']);
    await nextTurn();
    stream.next(done(2));
    await nextTurn();
    const batches = received.flatMap((e) =>
      e.type === 'stream.counted' ? [e.events.map((c) => ('page' in c ? `${c.type} ${c.page}` : c.type))] : [],
    );
    expect(batches).toEqual([['request.sent 1', 'request.done 1', 'page.staged 1'], ['request.sent 2'], ['request.done 2']]);
    expect(actor.getSnapshot().context.counters).toMatchObject({
      pagesStaged: 1,
      recordsReceived: 10,
      requests: { total: 2, rateLimited: 0 },
    });
    stream.next(staged(2, 5));
    stream.next({ type: 'stream.completed', pages: 2, records: 15 });
    const report = await toPromise(actor);
    expect(report.status).toBe('succeeded');
    expect(report.records.received).toBe(15);
  });

  it('counts what the stream told before a stop, even when a second stop follows in the same turn', async () => {
    const { stream, actor } = start();
    await nextTurn();
    stream.next(sent(1));
    stream.next(done(1));
    stream.next(staged(1, 10));
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await expectOnePageCounted(actor);
  });

  it('counts what the stream told while stopping, when a second stop follows in the same turn', async () => {
    const { stream, actor } = start();
    await nextTurn();
    stream.next(sent(1));
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await nextTurn();
    // The page in flight is answered and staged while the run stops; the second stop comes before the turn ends.
    stream.next(done(1));
    stream.next(staged(1, 10));
    actor.send({ type: 'run.cancel', reason: 'SIGINT' });
    await expectOnePageCounted(actor);
  });
});
