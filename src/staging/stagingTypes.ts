/** The staging store's options, inputs and results. */
import type { RecordLimits } from './recordCheck.js';
import type { RecordSecrets } from './recordSecrets.js';

export interface StagingStoreOptions {
  /** The run's database file, e.g. `data/staging/<runId>.duckdb`; its directory is created. */
  readonly path: string;
  readonly runId: string;
  /**
   * The options that shape the data (page size, endpoint, format...), no secrets: a resume with
   * other values is refused, naming each option that differs.
   */
  readonly options?: RunOptionValues;
  /** DuckDB `memory_limit`, e.g. '512MB'. */
  readonly memoryLimit?: string;
  /** DuckDB `temp_directory` for spilling. */
  readonly tempDirectory?: string;
  /** DuckDB threads (default 1: each holds its own buffers outside the memory limit). */
  readonly threads?: number;
  /** DuckDB threads of the scans that fold the records into a small state (`scanThreads`); default: the cores, at most 4. */
  readonly scanThreads?: number;
  /** Which record of a key is kept: its first (the default) or its last by (page, seq). */
  readonly onConflict?: OnConflict;
}

/** Which version of a key the unique records keep: the first seen or the last, by (page, seq). */
export type OnConflict = 'first' | 'last';

/**
 * A page to stage: its records parsed (with, optionally, each one's exact text), or only each
 * record's exact text and its key, as a page stream with `keepRawRecords` hands them over.
 */
export type StagePageInput = StagePageFields &
  (
    | {
        /** The page's records, parsed. */
        readonly records: readonly unknown[];
        /** The exact JSON text of each record as received; defaults to `JSON.stringify(record)`. */
        readonly rawRecords?: readonly string[] | undefined;
        readonly keys?: undefined;
        readonly refusals?: undefined;
      }
    | {
        readonly records?: undefined;
        /** The exact JSON text of each record as received. */
        readonly rawRecords: readonly string[];
        /** Each record's key, as `recordKey` gives it for `keyField` (null: it has none). */
        readonly keys: readonly (string | null)[];
        /** Why `recordRefusal` refuses each record under `limits` (undefined: it does not), when the caller checked already. */
        readonly refusals?: readonly (string | undefined)[] | undefined;
      }
  );

interface StagePageFields {
  /** 1-based page number (for cursor pagination: the position in the chain). */
  readonly page: number;
  /** `rawRecords` were cut from a body known to be JSON (as JSON.parse accepts it): with `limits`, DuckDB need not check them again. */
  readonly rawRecordsParsed?: boolean;
  /** The body `rawRecords` were cut from was searched for `secrets` and holds none, so none of them does: they are not searched one by one. */
  readonly secretsFree?: boolean | undefined;
  /** Epoch ms when the page's response arrived. */
  readonly fetchedAt: number;
  /**
   * Whether the records' text holds a number of 16 characters or more (`scanRecords`): false lets
   * the final file skip looking for integers beyond 2^53 when no page holds one; undefined: not known.
   */
  readonly longNumbers?: boolean | undefined;
  readonly nextCursor?: string | null;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly keyField: string;
  /** Bounds on each record: one past them is refused (see `recordRefusal`); none: every record is staged. */
  readonly limits?: RecordLimits;
  /** The run's configured secrets: a record holding one is noted (the fields, never the value) and, by option, masked; none: not searched. */
  readonly secrets?: RecordSecrets;
}

export interface StagePageResult {
  readonly page: number;
  /** False when the page was already committed (a re-stage is a no-op). */
  readonly staged: boolean;
  readonly records: number;
}

/** Where staging's time went, summed over the transactions a store committed, ms on the run's clock. */
export interface StagingTime {
  /** The transactions that committed pages (several pages waiting together share one). */
  readonly transactions: number;
  /** Appending the records: the checks left to staging (secrets; the limits, unless the caller checked them) and DuckDB's insert of them. */
  readonly appendMs: number;
  /** Appending each page's checkpoint row. */
  readonly checkpointMs: number;
  /** Beginning and committing the transaction (DuckDB writes its log, and now and then folds it into the file). */
  readonly commitMs: number;
}

export interface Checkpoint {
  readonly page: number;
  readonly nextCursor: string | null;
}

export interface StagingCounts {
  readonly pages: number;
  readonly records: number;
  /** Records with a usable key. */
  readonly keyed: number;
  readonly uniqueKeys: number;
  /** Keyed records whose key was already seen earlier. */
  readonly duplicates: number;
  /** Records without a usable key, refused ones aside (they go to the rejects). */
  readonly unkeyed: number;
  /** Records refused by staging (`recordRefusal`; in the rejects with their reason). */
  readonly refused: number;
}

/** Option name (camelCase, as in a config file) -> value. */
export type RunOptionValues = Readonly<Record<string, string | number | boolean | null>>;

export type RunStatus = 'running' | 'finished';

/** Where a run got to, so that a rerun skips finished steps. */
export interface RunState {
  readonly runId: string;
  readonly status: RunStatus;
  readonly options: RunOptionValues | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly output: OutputRecord | null;
  readonly upload: UploadRecord | null;
}

export interface OutputRecord {
  readonly path: string;
  readonly format: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly crc32c: string;
}

export interface UploadRecord {
  readonly uri: string;
  readonly etag: string | null;
  readonly uploadedAt: number;
}
