import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import * as database from '../../src/staging/openDatabase.js';
import { StagingError, StagingStore } from '../../src/staging/index.js';

vi.mock('../../src/staging/openDatabase.js', async (original) => {
  const real = await original<typeof database>();
  return { ...real, openDatabase: vi.fn(real.openDatabase) };
});

const dir = mkdtempSync(join(tmpdir(), 'staging-release-'));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a store whose reopen failed refuses work and still releases the run lock on close', async () => {
  const path = join(dir, 'r.duckdb');
  const store = await StagingStore.open({ path, runId: 'r' });
  vi.mocked(database.openDatabase).mockRejectedValueOnce(new StagingError('disk gone'));
  await expect(store.releaseMemory()).rejects.toThrow(/disk gone/);
  await expect(store.committedPages()).rejects.toThrow(/is closed/);
  await store.close();
  expect(existsSync(`${path}.lock`)).toBe(false);
});
