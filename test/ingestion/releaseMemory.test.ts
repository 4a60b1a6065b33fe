import { afterEach, expect, it, vi } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { StagingStore } from '../../src/staging/index.js';
import { startE2eEnv, type E2eEnv } from '../e2e/support/e2eEnv.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await env?.close();
  env = undefined;
});

/** Runs `records` calm records and says when the staging database was reopened. */
async function reopenings(records: number): Promise<string[]> {
  env = await startE2eEnv({ profile: 'calm', records, seed: 5 });
  const reopenedWhen: string[] = [];
  const release = StagingStore.prototype.releaseMemory;
  vi.spyOn(StagingStore.prototype, 'releaseMemory').mockImplementation(async function (this: StagingStore) {
    const { output, upload } = await this.runState();
    reopenedWhen.push(output === null ? 'before the file' : upload === null ? 'before the upload' : 'after the upload');
    return release.call(this);
  });
  const report = await runIngestion(env.options({ runId: 'reopen', pageSize: 1000 }), env.context());
  expect(report.error).toBeUndefined();
  expect(report.status).toBe('succeeded');
  expect(report.records.unique).toBe(records);
  return reopenedWhen;
}

it('reliability row 28: the staging database is reopened before the writer and before the upload, dropping what DuckDB holds', async () => {
  expect(await reopenings(20_000)).toEqual(['before the file', 'before the upload']);
}, 30_000);

it('reliability row 28: a small run keeps its staging database open (reopening would cost more than it frees)', async () => {
  expect(await reopenings(250)).toEqual([]);
});
