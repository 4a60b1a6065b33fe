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

/** A column of a dataset's schema, kept across runs (ELT). */
export interface SchemaColumn {
  readonly name: string;
  /** The DuckDB type; `JSON` holds any JSON value (its text in Parquet and CSV). */
  readonly type: string;
  /** For a variant column (`<column>__v_<type>`): the column whose values of another type it holds. */
  readonly variantOf?: string;
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
  readonly status: 'succeeded' | 'failed';
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
  };
  readonly pages: { readonly staged: number; readonly skippedOnResume: number; readonly total?: number };
  readonly records: {
    readonly received: number;
    readonly unique: number;
    readonly duplicates: number;
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
  /** The dataset's schema as this run wrote it (ELT): where it is stored and its columns. */
  readonly schema?: { readonly uri: string; readonly columns: readonly SchemaColumn[] };
  /** Columns this run added to the stored schema (none on the dataset's first run). */
  readonly schemaChanges?: readonly SchemaChange[];
  readonly anomalies: readonly string[];
}
