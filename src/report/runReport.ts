/** One state the run machine entered, from its inspection events. */
export interface StateVisit {
  readonly state: string;
  readonly enteredAt: string;
  readonly durationMs: number;
}

/** Data quality of one output column. */
export interface ColumnQuality {
  readonly column: string;
  readonly type: string;
  readonly nulls: number;
  readonly invalid: number;
  /** What "invalid" means for this column (e.g. "not an email"), when it is checked. */
  readonly invalidRule?: string;
}

/** The execution report: the run machine's output, written as JSON, Markdown and a summary. */
export interface RunReport {
  /** `cancelled`: stopped by a signal or a caller's abort before delivering; the checkpoint is kept. */
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly runId: string;
  readonly dataset: string;
  readonly endpoint: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** The one actionable sentence of a failed run. */
  readonly error?: string;
  readonly resumed: boolean;
  readonly timeline: readonly StateVisit[];
  readonly requests: {
    readonly total: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly retries: number;
    readonly retriesByStatus: Readonly<Record<string, number>>;
    readonly rateLimited: number;
    readonly rateLimitPauseMs: number;
    readonly tokenRefreshes: number;
    /** `POST /login` requests (the first login included), those that failed, and their time. */
    readonly logins: number;
    readonly failedLogins: number;
    readonly loginMs: number;
  };
  readonly pages: { readonly staged: number; readonly skippedOnResume: number; readonly total?: number };
  /** received = unique + duplicates + withoutKey; rows in the file + rejected = unique. */
  readonly records: {
    readonly received: number;
    /** Distinct keys: each keyed record counted once, whether it is written or rejected. */
    readonly unique: number;
    readonly duplicates: number;
    /** Records without a usable key: in the rejects file, never in the data. */
    readonly withoutKey: number;
    /** Unique records a cleaning rule rejected (ETL): in the rejects file. */
    readonly rejected: number;
  };
  readonly throughput: { readonly recordsPerSecond: number; readonly pagesPerSecond: number };
  readonly output?: {
    readonly format: string;
    readonly transform: 'none' | 'clean';
    readonly path: string;
    readonly bytes: number;
    readonly rows: number;
    readonly sha256: string;
    readonly checksum: string;
    readonly rejectsPath?: string;
  };
  readonly delivery?: {
    readonly uri: string;
    readonly status: 'uploaded' | 'alreadyDelivered';
    readonly verifiedBy: string;
    readonly reportUri?: string;
  };
  readonly quality: readonly ColumnQuality[];
  readonly anomalies: readonly string[];
}
