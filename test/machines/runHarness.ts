import { Observable, concatMap, from, map, timer } from 'rxjs';
import { createActor, type SnapshotFrom } from 'xstate';
import type { IngestionRunMachine } from '../../machines/ingestionRun.js';
import { toRunReport } from '../../src/run/draftReport.js';
import { provideIngestionRun, type IngestionRunDeps } from '../../src/ingestion/provideIngestionRun.js';
import { runMachine } from '../../src/ingestion/runMachine.js';
import type { Delivery, DraftReport, FetchPagesInput, IngestionRunInput, WrittenFile } from '../../src/run/runTypes.js';
import { createTimelineRecorder } from '../../src/ingestion/timelineRecorder.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import type { RunReport } from '../../src/report/runReport.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

export const input: IngestionRunInput = {
  runId: 'run-1',
  dataset: 'customers',
  endpoint: 'http://127.0.0.1:1/customers',
  transform: 'none',
};

export const writtenFile: WrittenFile = {
  format: 'parquet',
  path: 'data/run-1/customers.parquet',
  bytes: 4096,
  rows: 290,
  sha256: 'ab'.repeat(32),
  checksum: 'q83vEjRWeJA=',
  duplicatesDropped: 7,
  rejected: 3,
  withoutKey: 0,
  refused: 0,
  rejectsPath: 'data/run-1/rejects.ndjson',
};

export const delivery: Delivery = {
  uri: 's3://bucket/customers/date=2026-01-01/run-1.parquet',
  status: 'uploaded',
  verifiedBy: 'sha256',
};

/** Virtual time each fake step takes, so that timeline durations are known exactly. */
export const STEP_MS = { prepare: 200, write: 300, upload: 400, report: 50 } as const;

/** A stream event (or the stream's error) `afterMs` after the previous one. */
export type Scripted = readonly [afterMs: number, event: StreamEvent | Error];

export function staged(page: number, records: number, totalPages?: number): StreamEvent {
  return { type: 'page.staged', page, records, attempts: 1, latencyMs: 20, totalPages };
}

/** Plays a script on the virtual clock; counts subscriptions and unsubscriptions. */
export function scriptedStream(clock: SimulatedClock, script: readonly Scripted[]) {
  const stats = { subscribed: 0, unsubscribed: 0, aborted: [] as unknown[], inputs: [] as FetchPagesInput[] };
  const scheduler = clockScheduler(clock);
  const factory = (fetchInput: FetchPagesInput, signal: AbortSignal): Observable<StreamEvent> =>
    new Observable<StreamEvent>((subscriber) => {
      stats.subscribed++;
      stats.inputs.push(fetchInput);
      signal.addEventListener('abort', () => stats.aborted.push(signal.reason), { once: true });
      const sub = from(script)
        .pipe(
          concatMap(([afterMs, item]) =>
            timer(afterMs, scheduler).pipe(
              map(() => {
                if (item instanceof Error) throw item;
                return item;
              }),
            ),
          ),
        )
        .subscribe(subscriber);
      return () => {
        stats.unsubscribed++;
        sub.unsubscribe();
      };
    });
  return { factory, stats };
}

export interface Calls {
  prepare: number;
  write: number;
  upload: UploadCall[];
  drafts: DraftReport[];
  signals: Record<string, AbortSignal>;
}
interface UploadCall {
  readonly file: WrittenFile;
}

/** Fakes for every dependency; each takes STEP_MS of virtual time and can be told to fail. */
export function fakeDeps(clock: SimulatedClock, overrides: Partial<IngestionRunDeps> = {}, script: readonly Scripted[] = []) {
  const calls: Calls = { prepare: 0, write: 0, upload: [], drafts: [], signals: {} };
  const stream = scriptedStream(clock, script);
  const deps: IngestionRunDeps = {
    prepare: async (_input, signal) => {
      calls.prepare++;
      calls.signals.prepare = signal;
      await clock.sleep(STEP_MS.prepare, signal);
    },
    fetchPages: stream.factory,
    writeFinalFile: async (_input, signal) => {
      calls.write++;
      calls.signals.write = signal;
      await clock.sleep(STEP_MS.write, signal);
      return writtenFile;
    },
    uploadFile: async (upload, signal) => {
      calls.upload.push({ file: upload.file });
      calls.signals.upload = signal;
      await clock.sleep(STEP_MS.upload, signal);
      return delivery;
    },
    writeReport: async (draft, signal) => {
      calls.drafts.push(draft);
      await clock.sleep(STEP_MS.report, signal);
      // What SQL would add: quality figures.
      return { ...toRunReport(draft), quality: [{ column: 'email', type: 'VARCHAR', nulls: 1, invalid: 2 }] };
    },
    ...overrides,
  };
  return { deps, calls, stream: stream.stats };
}

export interface Harness {
  readonly clock: SimulatedClock;
  readonly calls: Calls;
  readonly stream: ReturnType<typeof scriptedStream>['stats'];
  readonly machine: IngestionRunMachine;
  readonly recorder: ReturnType<typeof createTimelineRecorder>;
}

export interface HarnessOptions {
  readonly script?: readonly Scripted[];
  /** Replacements for the fakes; a function gets the harness' clock. */
  readonly deps?: Partial<IngestionRunDeps> | ((clock: SimulatedClock) => Partial<IngestionRunDeps>);
}

export function harness(options: HarnessOptions = {}): Harness {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
  const overrides = typeof options.deps === 'function' ? options.deps(clock) : options.deps;
  const { deps, calls, stream } = fakeDeps(clock, overrides, options.script);
  const recorder = createTimelineRecorder(clock);
  const machine = provideIngestionRun(deps, { clock, timeline: () => recorder.timeline() });
  return { clock, calls, stream, machine, recorder };
}

/** Runs the machine to its end on virtual time, keeping every snapshot. */
export async function run(
  h: Harness,
  runInput: IngestionRunInput = input,
  signal?: AbortSignal,
): Promise<{ report: RunReport; snapshots: SnapshotFrom<IngestionRunMachine>[] }> {
  const snapshots: SnapshotFrom<IngestionRunMachine>[] = [];
  const report = await h.clock.run(() =>
    runMachine(h.machine, runInput, {
      clock: h.clock,
      inspect: [
        h.recorder.inspect,
        (e) => {
          if (e.type === '@xstate.snapshot' && e.actorRef.sessionId === e.rootId) {
            snapshots.push(e.snapshot as SnapshotFrom<IngestionRunMachine>);
          }
        },
      ],
      ...(signal ? { signal } : {}),
    }),
  );
  return { report, snapshots };
}

/** The states of a timeline, in order, with their durations. */
export function visits(timeline: RunReport['timeline']): Array<[string, number]> {
  return timeline.map((v) => [v.state, v.durationMs]);
}

export { createActor };
