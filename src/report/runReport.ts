import type { PaceStart } from '../pacing/rateLimiter.js';

/**
 * Time spent staging pages, ms on the run's clock (a simulated clock reads 0): parsing their
 * bodies as they arrive, then each transaction's appends, checkpoint rows and commit. It overlaps
 * the fetching. The transactions' part is staging's `StagingTime`, declared again here: report
 * and staging are one layer, and neither imports the other.
 */
export interface StagingTotals {
  /** The transactions that committed pages (several pages waiting together share one). */
  readonly transactions: number;
  /** Parsing the page bodies as they arrive: cutting out each record's exact text and key, and checking it against the limits. */
  readonly parseMs: number;
  /** Appending the records: the checks left to staging (secrets; the limits, unless the stream checked them) and DuckDB's insert of them. */
  readonly appendMs: number;
  /** Appending each page's checkpoint row. */
  readonly checkpointMs: number;
  /** Beginning and committing the transactions (DuckDB writes its log, and now and then folds it into the file). */
  readonly commitMs: number;
}

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

/** Requests that ended one way, grouped: an HTTP status class, no answer at all, or given up as the other copy of a hedged request settled first. */
export type OutcomeClass = '2xx' | '429' | '4xx' | '5xx' | 'timeout' | 'network' | 'superseded';
export const OUTCOME_CLASSES: readonly OutcomeClass[] = ['2xx', '429', '4xx', '5xx', 'timeout', 'network', 'superseded'];

/** Page latency percentiles in ms (of staged pages' successful attempts). */
export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** What happened in one time bucket `[t, t + bucketMs)` of the run (t: ms since `series.startedAt`). */
export interface SeriesPoint {
  readonly t: number;
  readonly records: number;
  readonly pages: number;
  /** Requests sent. */
  readonly requests: number;
  readonly retries: number;
  /** Requests that ended in the bucket, by outcome class. */
  readonly outcomes: Readonly<Record<OutcomeClass, number>>;
  /** The limiter's rate (requests/s) as the last 429 in the bucket set it; null without a 429. */
  readonly limiterRate: number | null;
  /** Null when no page was staged in the bucket. */
  readonly latencyMs: LatencyPercentiles | null;
}

/** The run over time, in at most a fixed number of buckets (they widen as the run grows). */
export interface RunSeries {
  readonly startedAt: string;
  readonly bucketMs: number;
  readonly points: readonly SeriesPoint[];
  /** Over the whole run (this attempt); null when no page was staged. */
  readonly latencyMs: (LatencyPercentiles & { readonly max: number }) | null;
}

/** The latest earlier successful run of the same dataset, from its report in the store: its figures, to compare with. */
export interface PreviousRun {
  readonly runId: string;
  /** Its JSON report. */
  readonly uri: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly recordsReceived: number;
  readonly recordsUnique: number;
  readonly rateLimited: number;
  readonly recordsPerSecond: number;
  /** Columns by name, as that run's quality table gave them, compared with this run's. */
  readonly columns: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly retyped: readonly { readonly column: string; readonly from: string; readonly to: string }[];
  };
}

/** A column of a dataset's schema, kept across runs (ELT). */
export interface SchemaColumn {
  readonly name: string;
  /** The DuckDB type; `JSON` holds any JSON value (its text in Parquet and CSV). */
  readonly type: string;
  /** For a variant column (`<column>__v_<type>`): the column whose values of another type it holds. */
  readonly variantOf?: string;
  /** The record field the column holds when its name is another (the field's was taken: docs/reliability.md). */
  readonly key?: string;
}

/** A record field written under another name in the file: its own was a lineage column's, or another field's but for case. */
export interface RenamedField {
  readonly field: string;
  readonly column: string;
  readonly reason: string;
}

/**
 * Keys seen again with different content: conflicting versions, not copies. One version per key
 * is written, the first or the last by (page, position): `kept`, the run's `onConflict`.
 */
export interface VersionConflicts {
  readonly kept: 'first' | 'last';
  /** Dropped records that differ from the kept version of their key (a subset of the duplicates). */
  readonly versions: number;
  /** Keys with more than one version. */
  readonly keys: number;
  /** The first few such keys by first occurrence: the pages their records came from and the page kept. */
  readonly examples: readonly { readonly key: string; readonly pages: readonly number[]; readonly keptPage: number }[];
}

/** A column this run added to its dataset's schema: a new field, or a variant for values that do not fit their column. */
export interface SchemaChange {
  readonly column: string;
  readonly type: string;
  readonly change: 'added' | 'variant';
  readonly variantOf?: string;
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
    /** Where the request rate started: learning the API's limit, the configured one, or the pace remembered from an earlier run (option `rememberPace`). */
    readonly pace?: PaceStart;
    readonly tokenRefreshes: number;
    /** `POST /login` requests (the first login included), those that failed, and their time. */
    readonly logins: number;
    readonly failedLogins: number;
    readonly loginMs: number;
  };
  readonly pages: {
    readonly staged: number;
    readonly skippedOnResume: number;
    readonly total?: number;
    /**
     * The records the run's pages held as each arrived, counted in their checkpoint rows (every
     * attempt's pages, as `records.received` counts them); absent from a report built without the staged records.
     */
    readonly records?: number;
  };
  /** received = unique + duplicates + withoutKey + refused; rows in the file + rejected = unique. */
  readonly records: {
    readonly received: number;
    /** Distinct keys: each keyed record counted once, whether it is written or rejected. */
    readonly unique: number;
    /** Keyed records dropped as other copies of a key: exact copies plus `conflicts.versions`. */
    readonly duplicates: number;
    /** The duplicates whose content differs from the version kept (absent: no key arrived with two contents). */
    readonly conflicts?: VersionConflicts;
    /** Records without a usable key: in the rejects file, never in the data. */
    readonly withoutKey: number;
    /**
     * Records staging refused, beyond a limit (maxRecordBytes, maxRecordDepth, maxRecordKeys) or
     * poison (a lone surrogate, a field name that cannot be a column): in the rejects file with their
     * reason.
     */
    readonly refused: number;
    /** Unique records a cleaning rule rejected (ETL): in the rejects file. */
    readonly rejected: number;
  };
  readonly throughput: {
    readonly recordsPerSecond: number;
    readonly pagesPerSecond: number;
    /** Where the time staging the pages went (this process's pages; a resumed run's earlier ones are not in it). */
    readonly staging: StagingTotals;
  };
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
    readonly htmlReportUri?: string;
    /** The rejected records, delivered beside the report when there are any. */
    readonly rejectsUri?: string;
  };
  readonly quality: readonly ColumnQuality[];
  /** The dataset's schema as this run wrote it (ELT): where it is stored and its columns. */
  readonly schema?: { readonly uri: string; readonly columns: readonly SchemaColumn[] };
  /** Columns this run added to the stored schema (none on the dataset's first run). */
  readonly schemaChanges?: readonly SchemaChange[];
  /**
   * Record fields the file holds under another name than their own, and why: a lineage column's
   * name, or (Parquet, CSV) another field's but for case. Absent when every field kept its name.
   */
  readonly renamedFields?: readonly RenamedField[];
  /**
   * Records that held the value of a configured secret (password, token, API key, client secret):
   * how many, how many were masked before staging (`maskSecretsInRecords`) and the fields, never
   * the value. Absent when none did.
   */
  readonly secretsInRecords?: { readonly records: number; readonly masked: number; readonly fields: readonly string[] };
  readonly anomalies: readonly string[];
  /** The run over time (absent when no recorder watched the run). */
  readonly series?: RunSeries;
  /** The latest earlier successful run of the same dataset, when the store has its report. */
  readonly previous?: PreviousRun;
}
