import { fromPromise } from 'xstate';
import { ingestionRun, type IngestionRunMachine } from '../../machines/ingestionRun.js';
import type { RunReport, RunSeries, StateVisit } from '../report/runReport.js';
import type { Clock } from '../runtime/clock.js';
import { describeError } from '../run/describeError.js';
import { assembleDraftReport } from '../run/draftReport.js';
import { fromPageStream, type PageStreamFactory } from './pageStreamActor.js';
import { ReportWriteError } from '../run/reportWriteError.js';
import { runMachine, type Inspect, type RunMachineOptions } from './runMachine.js';
import type {
  Delivery,
  DraftReport,
  IngestionRunInput,
  PrepareInput,
  RunSummary,
  UploadInput,
  WriteFileInput,
  WrittenFile,
} from '../run/runTypes.js';
import { createSeriesRecorder } from './seriesRecorder.js';
import { createTimelineRecorder } from './timelineRecorder.js';

/**
 * What a run does, as plain async functions; each gets a signal that aborts when its state is
 * left. Each wraps its own real I/O in `clock.track` (not the machine: a step may also wait on
 * the clock, and a tracked promise that waits on virtual time would stall a simulated run).
 */
export interface IngestionRunDeps {
  /** Checks bucket access and logs in; rejects to fail the run before any page is fetched. */
  readonly prepare: (input: PrepareInput, signal: AbortSignal) => Promise<void>;
  /** The page stream for the whole fetch phase; stops at a page boundary when `signal` aborts. */
  readonly fetchPages: PageStreamFactory;
  readonly writeFinalFile: (input: WriteFileInput, signal: AbortSignal) => Promise<WrittenFile>;
  readonly uploadFile: (input: UploadInput, signal: AbortSignal) => Promise<Delivery>;
  /** Adds the SQL figures to the draft, writes the report files, returns the final report. */
  readonly writeReport: (draft: DraftReport, signal: AbortSignal) => Promise<RunReport>;
}

export interface ProvideIngestionRunOptions {
  /** Stamps the report. */
  readonly clock: Pick<Clock, 'now'>;
  /** The run's timeline so far (a recorder's `timeline`), put into the report. */
  readonly timeline?: () => readonly StateVisit[];
  /** The run over time up to the given instant (a series recorder's `series`), put into the report. */
  readonly series?: (untilMs: number) => RunSeries;
}

/** Binds the dependencies to the run machine with `machine.provide(...)`. */
export function provideIngestionRun(deps: IngestionRunDeps, options: ProvideIngestionRunOptions): IngestionRunMachine {
  const { clock } = options;
  return ingestionRun.provide({
    actors: {
      prepare: fromPromise<void, PrepareInput>(({ input, signal }) => deps.prepare(input, signal)),
      fetchPages: fromPageStream(deps.fetchPages),
      writeFinalFile: fromPromise<WrittenFile, WriteFileInput>(({ input, signal }) => deps.writeFinalFile(input, signal)),
      uploadFile: fromPromise<Delivery, UploadInput>(({ input, signal }) => deps.uploadFile(input, signal)),
      writeReport: fromPromise<RunReport, RunSummary>(async ({ input, signal }) => {
        // XState starts this actor before it announces the `reporting` snapshot, in the same
        // synchronous step: let that step finish so the timeline includes `reporting`.
        await Promise.resolve();
        const finishedAtMs = clock.now();
        const timeline = options.timeline?.() ?? [];
        const first = timeline[0];
        const startedAtMs = first ? Date.parse(first.enteredAt) : finishedAtMs;
        const series = options.series?.(finishedAtMs);
        const draft = assembleDraftReport(input, { startedAtMs, finishedAtMs, timeline, ...(series ? { series } : {}) });
        try {
          return await deps.writeReport(draft, signal);
        } catch (error: unknown) {
          throw new ReportWriteError(describeError(error), draft, { cause: error });
        }
      }),
    },
  });
}

export interface RunIngestionMachineOptions {
  readonly clock: Clock;
  readonly inspect?: Inspect | readonly Inspect[];
  readonly signal?: AbortSignal;
  readonly logins?: RunMachineOptions['logins'];
}

/** One whole run: records the timeline, binds the dependencies, runs the machine to its report. */
export function runIngestionMachine(
  deps: IngestionRunDeps,
  input: IngestionRunInput,
  options: RunIngestionMachineOptions,
): Promise<RunReport> {
  const recorder = createTimelineRecorder(options.clock);
  // After the timeline's recorder in `inspect`: the series starts when the timeline does.
  const seriesRecorder = createSeriesRecorder(options.clock, recorder.startedAtMs);
  const machine = provideIngestionRun(deps, { clock: options.clock, timeline: () => recorder.timeline(), series: seriesRecorder.series });
  const extra = options.inspect === undefined ? [] : Array.isArray(options.inspect) ? options.inspect : [options.inspect as Inspect];
  return runMachine(machine, input, {
    clock: options.clock,
    inspect: [recorder.inspect, seriesRecorder.inspect, ...extra],
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.logins ? { logins: options.logins } : {}),
  });
}
