import { IngestError, errorGuard, type ErrorGuard } from '../errors.js';

/** A staging database operation failed (disk full, corrupt file, bad input...). */
export class StagingError extends IngestError {
  override name = 'StagingError';
}
export const isStagingError: ErrorGuard<StagingError> = errorGuard(StagingError, 'StagingError');

/** Another process (or this one) already holds the run: two runs with one id never overlap. */
export class RunLockedError extends StagingError {
  override name = 'RunLockedError';
  constructor(
    readonly runId: string,
    readonly pid: number | undefined,
    readonly lockPath: string,
    options?: ErrorOptions & { readonly heldBy?: 'lock file' | 'database' },
  ) {
    super(
      `run ${runId} is already in progress (pid ${pid ?? 'unknown'}): wait for it to finish, or stop it` +
        (options?.heldBy === 'database' ? '' : `; if no such process exists, delete ${lockPath}`),
      options,
    );
  }
}
export const isRunLockedError: ErrorGuard<RunLockedError> = errorGuard(RunLockedError, 'RunLockedError');

/** Describes a caught value without assuming it is an Error. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
