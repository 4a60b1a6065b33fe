import { closeSync, openSync, readFileSync, rmSync, writeSync, constants } from 'node:fs';
import { RunLockedError, StagingError, describeError } from './stagingErrors.js';

/** Lock files held by this process: a second open in the same process is refused too. */
const heldHere = new Set<string>();

export interface RunLock {
  readonly path: string;
  /** The pid of a dead holder whose stale lock was taken over, if any. */
  readonly tookOverFrom: number | undefined;
  release(): void;
}

function readPid(path: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const pid = typeof parsed === 'object' && parsed !== null ? (parsed as { pid?: unknown }).pid : undefined;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<db>.lock` with O_EXCL. A lock whose pid is dead is stale and taken over; so is one
 * holding our own pid that this process does not hold (a previous incarnation with the same pid,
 * as happens to PID 1 in containers). DuckDB's own file lock stays the final arbiter.
 */
export function acquireRunLock(lockPath: string, runId: string, startedAt: number): RunLock {
  if (heldHere.has(lockPath)) throw new RunLockedError(runId, process.pid, lockPath);
  const body = JSON.stringify({ pid: process.pid, runId, startedAt: new Date(startedAt).toISOString() });
  let stalePid: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      try {
        writeSync(fd, body);
      } finally {
        closeSync(fd);
      }
      heldHere.add(lockPath);
      let released = false;
      return {
        path: lockPath,
        tookOverFrom: stalePid,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(lockPath);
          rmSync(lockPath, { force: true });
        },
      };
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StagingError(`cannot create the run lock ${lockPath}: ${describeError(error)}`, { cause: error });
      }
      const pid = readPid(lockPath);
      if (pid !== undefined && pid !== process.pid && isProcessAlive(pid)) throw new RunLockedError(runId, pid, lockPath);
      stalePid = pid;
      rmSync(lockPath, { force: true });
    }
  }
  throw new RunLockedError(runId, readPid(lockPath), lockPath);
}
