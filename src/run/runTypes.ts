import type { RunReport, StagingTotals } from '../report/runReport.js';

/** The final data file, as the writer left it on disk. */
export interface WrittenFile {
  readonly format: string;
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  readonly sha256: string;
  /** The checksum in the form the object store compares (e.g. base64 SHA-256). */
  readonly checksum: string;
  readonly duplicatesDropped: number;
  /** Unique records a cleaning rule rejected (kept in the rejects file). */
  readonly rejected: number;
  /** Records without a usable key (kept in the rejects file too). */
  readonly withoutKey: number;
  /** Records staging refused (beyond a limit, or poison; in the rejects file with their reason). */
  readonly refused: number;
  readonly rejectsPath?: string;
}

/** Where the file went and how we know it arrived intact. */
export interface Delivery {
  readonly uri: string;
  readonly status: 'uploaded' | 'alreadyDelivered';
  readonly verifiedBy: string;
}

/** What a previous attempt with the same run id already finished (a crash after that step). */
export interface ResumeState {
  /** Pages committed to staging before this attempt; the stream skips them. */
  readonly pagesStaged?: number;
  /** The final file is already written: skip fetching and writing. */
  readonly file?: WrittenFile;
  /** The file is already delivered: skip straight to the report. */
  readonly delivery?: Delivery;
}

/** The run machine's input: plain data only, so the inspector shows clean context. */
export interface IngestionRunInput {
  readonly runId: string;
  readonly dataset: string;
  readonly endpoint: string;
  readonly transform: 'none' | 'clean';
  readonly resume?: ResumeState;
}

/** Identity of the run, copied from the input into every actor's input. */
export interface RunIdentity {
  readonly runId: string;
  readonly dataset: string;
  readonly endpoint: string;
  readonly transform: 'none' | 'clean';
}

export type PrepareInput = RunIdentity;
export interface FetchPagesInput extends RunIdentity {
  readonly pagesStagedBefore: number;
}
export type WriteFileInput = RunIdentity;
export interface UploadInput extends RunIdentity {
  readonly file: WrittenFile;
}

/** Request counts, all derived from stream events. Keys of the `by…` maps are statuses. */
export interface RequestCounters {
  readonly total: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly retries: number;
  readonly retriesByStatus: Readonly<Record<string, number>>;
  readonly rateLimited: number;
  /** Sum of the waits announced by the 429s that started a pause (the timeline measures the real pause). */
  readonly rateLimitWaitMs: number;
  readonly tokenRefreshes: number;
  /** `POST /login` requests, the first login included; those that failed; the time they took, ms. */
  readonly logins: number;
  readonly failedLogins: number;
  readonly loginMs: number;
}

/** Everything the machine counts from the stream's events: never the records themselves. */
export interface RunCounters {
  readonly pagesStaged: number;
  /** Total pages when the pagination announced it, else null. */
  readonly pagesTotal: number | null;
  readonly recordsReceived: number;
  readonly requests: RequestCounters;
  /** Where the fetch phase's staging time went, summed over this process's transactions. */
  readonly staging: StagingTotals;
  readonly anomalies: readonly string[];
}

/** Steps a run can fail in; used to phrase the report's one sentence. */
export type RunStep = 'authenticating' | 'fetching' | 'writing' | 'uploading' | 'reporting';

export interface RunFailure {
  readonly step: RunStep;
  readonly message: string;
  /** A rerun would fail the same way (e.g. the API answered 404): the report offers no resume. */
  readonly permanent?: boolean;
}

/** The machine's facts about the run, handed to `writeReport`; plain, serialisable data. */
export interface RunSummary extends RunIdentity {
  readonly resumed: boolean;
  readonly pagesSkippedOnResume: number;
  readonly counters: RunCounters;
  readonly file: WrittenFile | null;
  readonly delivery: Delivery | null;
  readonly failure: RunFailure | null;
  readonly cancelled: boolean;
  /** Why the run was cancelled (e.g. `SIGINT`), when it was. */
  readonly cancelReason: string | null;
}

/**
 * The report as the machine and the timeline know it. `writeReport` adds what only SQL over
 * the staging tables can tell (quality, exact unique/duplicate counts), writes the files, and
 * returns the final report.
 */
export interface DraftReport extends RunReport {
  readonly cancelled: boolean;
}
