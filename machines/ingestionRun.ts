// Over 300 lines on purpose: the machine's one definition (XState's setup() with every named
// action, guard, actor and delay, then the states), read as a whole; its vocabulary lives in src/run.
import { assign, fromCallback, fromPromise, sendTo, setup, type ActorRefFrom, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import type { StreamEvent } from '../src/paging/streamEvent.js';
import type { RunReport } from '../src/report/runReport.js';
import { describeError } from '../src/run/describeError.js';
import { NotProvidedError } from '../src/run/notProvidedError.js';
import type {
  LoginAttemptEvent,
  StopStreamCommand,
  StreamCountedEvent,
  StreamEndedEvent,
  StreamFailedEvent,
} from '../src/run/runEvents.js';
import { fallbackReport, reportFromError } from '../src/run/draftReport.js';
import { countEvent, emptyCounters } from '../src/run/runCounters.js';
import type {
  Delivery,
  FetchPagesInput,
  IngestionRunInput,
  PrepareInput,
  RunCounters,
  RunFailure,
  RunIdentity,
  RunStep,
  RunSummary,
  UploadInput,
  WriteFileInput,
  WrittenFile,
} from '../src/run/runTypes.js';

/** The machine's context: plain data built from the input; records never enter it. */
export interface IngestionRunContext {
  readonly run: RunIdentity;
  readonly resumed: boolean;
  readonly pagesSkippedOnResume: number;
  /** The run's figures: every stream event counted once (`countEvent`); the report and the progress display read them. */
  readonly counters: RunCounters;
  readonly file: WrittenFile | null;
  readonly delivery: Delivery | null;
  readonly failure: RunFailure | null;
  readonly cancelled: boolean;
  readonly cancelReason: string | null;
  readonly report: RunReport | null;
}

/**
 * `run.cancel` (SIGINT/SIGTERM), the stream's own events (`fromPageStream` sends those only
 * counted together, as `stream.counted`), and the stream actor's end signals.
 */
export type IngestionRunEvent =
  StreamEvent | StreamCountedEvent | LoginAttemptEvent | StopStreamCommand | StreamFailedEvent | StreamEndedEvent;

/** How long a cancelled run waits for the stream to finish its page in flight. */
export const CANCEL_GRACE_MS = 30_000;

function notProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(() => Promise.reject(new NotProvidedError(name)));
}

// Input mappers: the config references them by name.
const identityOf = ({ context }: { context: IngestionRunContext }): RunIdentity => context.run;
const fetchInputOf = ({ context }: { context: IngestionRunContext }): FetchPagesInput => ({
  ...context.run,
  pagesStagedBefore: context.pagesSkippedOnResume,
});
const uploadInputOf = ({ context }: { context: IngestionRunContext }): UploadInput => {
  // The guards only route here with a file: from the writer or from the resume input.
  if (!context.file) throw new Error('uploading entered without a written file');
  return { ...context.run, file: context.file };
};
const summaryOf = ({ context }: { context: IngestionRunContext }): RunSummary => ({
  ...context.run,
  resumed: context.resumed,
  pagesSkippedOnResume: context.pagesSkippedOnResume,
  counters: context.counters,
  file: context.file,
  delivery: context.delivery,
  failure: context.failure,
  cancelled: context.cancelled,
  cancelReason: context.cancelReason,
});

// Params mappers: pick the typed data out of an actor's done/error event for a named action.
const fileOf = ({ event }: { event: DoneActorEvent<WrittenFile> }) => ({ file: event.output });
const deliveryOf = ({ event }: { event: DoneActorEvent<Delivery> }) => ({ delivery: event.output });
const reportOf = ({ event }: { event: DoneActorEvent<RunReport> }) => ({ report: event.output });
const errorOf = ({ event }: { event: ErrorActorEvent }) => ({ error: event.error });
const failureIn =
  (step: RunStep) =>
  ({ event }: { event: ErrorActorEvent }) => ({ step, error: event.error });

const notPaused = { paused: false } as const;
const paused = { paused: true } as const;
const runCommands = new Set(['run.cancel', 'stream.failed', 'stream.ended', 'stream.counted']);
function isStreamEvent(event: IngestionRunEvent): event is StreamEvent | LoginAttemptEvent {
  return !runCommands.has(event.type);
}

function initialContext({ input }: { input: IngestionRunInput }): IngestionRunContext {
  const resume = input.resume ?? {};
  const pagesSkippedOnResume = resume.pagesStaged ?? 0;
  return {
    run: { runId: input.runId, dataset: input.dataset, endpoint: input.endpoint, transform: input.transform },
    resumed: pagesSkippedOnResume > 0 || resume.file !== undefined || resume.delivery !== undefined,
    pagesSkippedOnResume,
    counters: emptyCounters,
    // A delivered file implies a written one; keep whichever the input knows.
    file: resume.file ?? null,
    delivery: resume.delivery ?? null,
    failure: null,
    cancelled: false,
    cancelReason: null,
    report: null,
  };
}

function outputOf({ context }: { context: IngestionRunContext }): RunReport {
  return context.report ?? fallbackReport(summaryOf({ context }));
}

/**
 * The run lifecycle. The page stream is one actor invoked on `ingesting`; its children mirror
 * what the stream's parts own (the limiter's pause: `backingOff`; a login: `refreshingToken`) so
 * that they show in the timeline, without restarting the stream. Every failure and a cancel go through `reporting`, so a failed run
 * still writes its report; the output is the RunReport.
 */
export const ingestionRun = setup({
  types: {
    context: {} as IngestionRunContext,
    input: {} as IngestionRunInput,
    events: {} as IngestionRunEvent,
    output: {} as RunReport,
  },
  actors: {
    prepare: notProvided<void, PrepareInput>('prepare'),
    fetchPages: fromCallback<StopStreamCommand, FetchPagesInput>(() => {
      throw new NotProvidedError('fetchPages');
    }),
    writeFinalFile: notProvided<WrittenFile, WriteFileInput>('writeFinalFile'),
    uploadFile: notProvided<Delivery, UploadInput>('uploadFile'),
    writeReport: notProvided<RunReport, RunSummary>('writeReport'),
  },
  actions: {
    // `paused`: a 429 landing in a pause already under way overlaps it (its wait is not added).
    count: assign({
      counters: ({ context, event }, params: { paused: boolean }) => {
        const run = { paused: params.paused, pagesSkippedOnResume: context.pagesSkippedOnResume };
        if (event.type === 'stream.counted') return event.events.reduce((counters, e) => countEvent(counters, e, run), context.counters);
        return isStreamEvent(event) ? countEvent(context.counters, event, run) : context.counters;
      },
    }),
    recordFile: assign({ file: (_, params: { file: WrittenFile }) => params.file }),
    recordDelivery: assign({ delivery: (_, params: { delivery: Delivery }) => params.delivery }),
    // The first failure is the one to report: later ones (e.g. the stream aborting after a cancel) follow from it.
    recordFailure: assign({
      failure: ({ context }, params: { step: RunStep; error: unknown }) =>
        context.failure ?? { step: params.step, message: describeError(params.error) },
    }),
    recordStreamFailure: assign({
      failure: ({ context, event }) =>
        context.failure ??
        (event.type === 'stream.failed'
          ? { step: 'fetching', message: event.error, ...(event.permanent ? { permanent: true } : {}) }
          : { step: 'fetching', message: 'the page stream failed' }),
    }),
    recordEarlyStreamEnd: assign({
      failure: ({ context }) => context.failure ?? { step: 'fetching', message: 'the page stream ended before every page was staged' },
    }),
    recordCancel: assign({
      cancelled: true,
      cancelReason: ({ context, event }) => context.cancelReason ?? (event.type === 'run.cancel' ? event.reason : 'stop requested'),
    }),
    stopPageStream: sendTo('pageStream', ({ event }) =>
      event.type === 'run.cancel' ? event : ({ type: 'run.cancel', reason: 'stop requested' } as const),
    ),
    recordReport: assign({ report: (_, params: { report: RunReport }) => params.report }),
    recordReportFailure: assign(({ context }, params: { error: unknown }) => ({
      failure: context.failure ?? { step: 'reporting' as RunStep, message: describeError(params.error) },
      report: reportFromError(params.error, summaryOf({ context })),
    })),
  },
  guards: {
    alreadyDelivered: ({ context }) => context.delivery !== null,
    fileAlreadyWritten: ({ context }) => context.file !== null,
    // The report step may fail a run on its own: a report whose counts do not add up.
    runFailed: ({ context }, params: { report: RunReport }) =>
      context.failure !== null || context.cancelled || params.report.status === 'failed',
  },
  delays: {
    cancelGrace: CANCEL_GRACE_MS,
  },
}).createMachine({
  id: 'ingestionRun',
  description: 'One ingestion run: every record from the API into one verified file in the object store, with a report.',
  context: initialContext,
  initial: 'authenticating',
  // Logins happen before the stream (the first) and during it (refreshes): every one is counted.
  on: { 'login.attempt': { actions: { type: 'count', params: notPaused } } },
  states: {
    authenticating: {
      description: 'Checks that the bucket is writable and logs in meanwhile, before any page is fetched.',
      invoke: {
        src: 'prepare',
        input: identityOf,
        onDone: [
          { guard: 'alreadyDelivered', target: 'reporting' },
          { guard: 'fileAlreadyWritten', target: 'uploading' },
          { target: 'ingesting' },
        ],
        onError: {
          target: 'reporting',
          actions: { type: 'recordFailure', params: failureIn('authenticating') },
        },
      },
      on: { 'run.cancel': { target: 'reporting', actions: 'recordCancel' } },
    },
    ingesting: {
      description: 'The page stream runs, once, for the whole fetch phase; its events drive the children and the counters.',
      invoke: {
        id: 'pageStream',
        src: 'fetchPages',
        input: fetchInputOf,
        onError: {
          target: 'reporting',
          actions: { type: 'recordFailure', params: failureIn('fetching') },
        },
      },
      initial: 'fetching',
      on: {
        'stream.counted': { actions: { type: 'count', params: notPaused } },
        // The same events one by one, as a stream actor of one's own may send them.
        'request.sent': { actions: { type: 'count', params: notPaused } },
        'request.done': { actions: { type: 'count', params: notPaused } },
        'pages.committed': { actions: { type: 'count', params: notPaused } },
        'page.staged': { actions: { type: 'count', params: notPaused } },
        'page.retry': { actions: { type: 'count', params: notPaused } },
        'paging.anomaly': { actions: { type: 'count', params: notPaused } },
        'token.refreshed': { actions: { type: 'count', params: notPaused } },
        'stream.completed': { target: 'writing', actions: { type: 'count', params: notPaused } },
        'stream.failed': { target: 'reporting', actions: 'recordStreamFailure' },
        'stream.ended': { target: 'reporting', actions: 'recordEarlyStreamEnd' },
        'run.cancel': { target: '.stopping', actions: ['recordCancel', 'stopPageStream'] },
      },
      states: {
        fetching: {
          description: 'Pages are being fetched and staged.',
          on: {
            'rateLimit.hit': { target: 'backingOff', actions: { type: 'count', params: notPaused } },
            'token.refreshing': { target: 'refreshingToken' },
          },
        },
        backingOff: {
          description:
            "Mirrors the rate limiter's run-wide pause (a 429, or an outage's 503): entered when the stream reports it, left when the stream reports it over. The limiter owns the wait.",
          on: {
            'rateLimit.hit': { actions: { type: 'count', params: paused } },
            'rateLimit.resumed': { target: 'fetching' },
            'token.refreshing': { target: 'refreshingToken' },
          },
        },
        refreshingToken: {
          description:
            'Mirrors a login after the first (expiry, a 401, or ahead of expiry): entered and left as the auth provider reports it. Pages on a still-valid token may go on meanwhile.',
          on: {
            'token.refreshed': { target: 'fetching', actions: { type: 'count', params: notPaused } },
            'rateLimit.hit': { target: 'backingOff', actions: { type: 'count', params: notPaused } },
          },
        },
        stopping: {
          description: 'Cancelled: the stream finishes the page in flight and stops at a page boundary; a second cancel stops at once.',
          on: {
            'stream.completed': { target: '#ingestionRun.reporting', actions: { type: 'count', params: notPaused } },
            'stream.ended': { target: '#ingestionRun.reporting' },
            // The abort is how a stream may end after a stop: expected, not a second failure.
            'stream.failed': { target: '#ingestionRun.reporting' },
            'run.cancel': { target: '#ingestionRun.reporting' },
            // Pauses and refreshes no longer matter: nothing new is dispatched.
            'rateLimit.hit': { actions: { type: 'count', params: paused } },
          },
          after: { cancelGrace: { target: '#ingestionRun.reporting' } },
        },
      },
    },
    writing: {
      description: 'Writes the one final file from the staged pages (dedupe by key, checksum).',
      invoke: {
        src: 'writeFinalFile',
        input: identityOf,
        onDone: { target: 'uploading', actions: { type: 'recordFile', params: fileOf } },
        onError: {
          target: 'reporting',
          actions: { type: 'recordFailure', params: failureIn('writing') },
        },
      },
      on: { 'run.cancel': { target: 'reporting', actions: 'recordCancel' } },
    },
    uploading: {
      description: 'Uploads the file to its partitioned key without overwriting, then verifies it.',
      invoke: {
        src: 'uploadFile',
        input: uploadInputOf,
        onDone: {
          target: 'reporting',
          actions: { type: 'recordDelivery', params: deliveryOf },
        },
        onError: {
          target: 'reporting',
          actions: { type: 'recordFailure', params: failureIn('uploading') },
        },
      },
      on: { 'run.cancel': { target: 'reporting', actions: 'recordCancel' } },
    },
    reporting: {
      description: 'Writes the report, for a failed run too; a cancel here is ignored so the report is complete.',
      invoke: {
        src: 'writeReport',
        input: summaryOf,
        onDone: [
          { guard: { type: 'runFailed', params: reportOf }, target: 'failed', actions: { type: 'recordReport', params: reportOf } },
          { target: 'succeeded', actions: { type: 'recordReport', params: reportOf } },
        ],
        onError: {
          target: 'failed',
          actions: { type: 'recordReportFailure', params: errorOf },
        },
      },
    },
    succeeded: {
      description: 'Every record delivered once, verified, and the report written.',
      type: 'final',
    },
    failed: {
      description: 'The run stopped with one actionable sentence in its report; the checkpoint is kept for a resume.',
      type: 'final',
    },
  },
  output: outputOf,
});

export type IngestionRunMachine = typeof ingestionRun;
export type IngestionRunActor = ActorRefFrom<IngestionRunMachine>;
