import { statSync } from 'node:fs';
import type { StagingStore } from '../staging/index.js';

/**
 * Reopening the staging database (`StagingStore.releaseMemory`) costs ~40 ms of CPU, a fifth of a
 * small run, and what DuckDB keeps after staging or writing grows with the data: worth it from
 * this much staged data on (~10,000 simulator records; at 100,000 it dropped ~70 MB).
 */
const releaseMemoryFromBytes = 4 * 1024 * 1024;

/** Reopens the staging database when it holds `releaseMemoryFromBytes` or more (file and WAL). */
export async function releaseMemoryIfLarge(store: StagingStore): Promise<void> {
  const bytes = [store.path, `${store.path}.wal`].reduce((sum, p) => sum + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  if (bytes >= releaseMemoryFromBytes) await store.releaseMemory();
}
