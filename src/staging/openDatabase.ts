import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { memoryLimit, stagingRowGroupSize, withMoreMemoryIfNeeded } from './duckdbMemory.js';
import { RunLockedError, StagingError, describeError } from './stagingErrors.js';

export interface OpenDatabase {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

/**
 * The storage version a staging file is written in: DuckDB 1.2's, the first that compresses text
 * with zstd (stagingSchema); under the default (0.10.2) a zstd column is silently left
 * uncompressed. A file staged before keeps its records' compression; attaching it marks it as
 * of version 1.2 too.
 */
const stagingStorageVersion = 'v1.2.0';

/**
 * Opens the database file, attached to an in-memory instance (the only way to set its row group
 * size, see duckdbMemory) and made the default catalog. DuckDB locks it for writing across
 * processes; its refusal ("Could not set lock on file ...: Conflicting lock is held in ...
 * (PID n)") becomes a RunLockedError naming that pid. Attaching replays the log of what was
 * committed since the last checkpoint, which needs memory for its largest value: a record of
 * 33 MB did not replay under 64 MB, so the attach runs with more if need be (withMoreMemoryIfNeeded).
 */
export async function openDatabase(
  path: string,
  runId: string,
  lockPath: string,
  config: Record<string, string>,
  log?: Logger,
): Promise<OpenDatabase> {
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    const limit = memoryLimit(config['memory_limit'], (sql) => connection.run(sql));
    await withMoreMemoryIfNeeded('open the staging database', limit, log, () =>
      connection.run(
        `ATTACH '${path.replaceAll("'", "''")}' AS staging (ROW_GROUP_SIZE ${stagingRowGroupSize}, STORAGE_VERSION '${stagingStorageVersion}')`,
      ),
    );
    await connection.run('USE staging');
    return { instance, connection };
  } catch (error: unknown) {
    instance?.closeSync();
    const message = describeError(error);
    const held = /Could not set lock on file/.exec(message);
    if (held !== null) {
      const pid = /\(PID (\d+)\)/.exec(message)?.[1];
      throw new RunLockedError(runId, pid === undefined ? undefined : Number(pid), lockPath, { cause: error, heldBy: 'database' });
    }
    throw new StagingError(`cannot open the staging database ${path}: ${message}`, { cause: error });
  }
}
