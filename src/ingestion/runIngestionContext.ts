import type { StreamEvent } from '../paging/streamEvent.js';
import type { RunCounters } from '../run/runTypes.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Inspect } from './runMachine.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** How a run is carried out, beside what it ingests. */
export interface RunIngestionContext {
  /** Aborting it stops the run at a page boundary; the report says it was cancelled. */
  readonly signal?: AbortSignal;
  /** Clock, randomness, fetch and logger; real defaults for what is not given. */
  readonly runtime?: Partial<Runtime>;
  /** Observers of the run machine's inspection events (e.g. the Stately inspector). */
  readonly inspect?: Inspect | readonly Inspect[];
  /** Every page-stream event, as the machine sees it: for timing a progress display. */
  readonly onEvent?: (event: StreamEvent) => void;
  /** The machine's state each time it changes, e.g. `ingesting.backingOff`. */
  readonly onState?: (state: string) => void;
  /** The run's figures each time they change: the same record the report is made from. */
  readonly onCounters?: (counters: RunCounters) => void;
  /** S3 credentials; default the AWS SDK's standard chain (env, profile, instance role). */
  readonly s3Credentials?: S3Credentials;
}
