import { DuckDBInstance } from '@duckdb/node-api';
import { RunLockedError, StagingError, describeError } from './stagingErrors.js';

/**
 * Opens the database file. DuckDB locks it for writing across processes; its refusal
 * ("Could not set lock on file ...: Conflicting lock is held in ... (PID n)") becomes a
 * RunLockedError naming that pid.
 */
export async function openInstance(path: string, runId: string, lockPath: string, config: Record<string, string>): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, config);
  } catch (error: unknown) {
    const message = describeError(error);
    const held = /Could not set lock on file/.exec(message);
    if (held !== null) {
      const pid = /\(PID (\d+)\)/.exec(message)?.[1];
      throw new RunLockedError(runId, pid === undefined ? undefined : Number(pid), lockPath, { cause: error, heldBy: 'database' });
    }
    throw new StagingError(`cannot open the staging database ${path}: ${message}`, { cause: error });
  }
}
