import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../src/runtime/clock.js';
import { StagingStore } from '../../src/staging/index.js';
import { busyClock } from '../staging/fixtures/busyClock.js';
import { stagingReport, writeFinalFile, type OutputFormat } from '../../src/output/index.js';
import { query } from './fixtures/readBack.js';
import { stageRaw } from './fixtures/stageRaw.js';

// 4,000 records, every tenth with a 10 KB text field holding quotes (as the simulator's hostile
// profile sends), under a 64 MB DuckDB memory limit. DuckDB's own JSON writer (to_json over
// the whole row) ran out of memory here even at 80 MB; CSV and Parquet need 56 MB. The
// report's column checks need 48-64 MB for them (~70 MB when every field's text was trimmed).
const PAGE = 1000;
const PAGES = 4;
const LIMIT = '64MB';
/** A limit the report's column checks run past with these records. */
const SMALL_LIMIT = '40MB';
const wide = `"quoted" ${'lorem ipsum '.repeat(850)}`;

let dir: string;
let store: StagingStore;
let small: StagingStore;
const warnings: { msg: string; memoryLimit?: string; retryWith?: string }[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as (typeof warnings)[number]) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wide-'));
  store = await StagingStore.open({ path: join(dir, 'run.duckdb'), runId: 'wide', memoryLimit: LIMIT }, { clock: realClock, logger });
  // Staging that fills the time (as against a fast API): no idle work, which can make the
  // report fit under the small limit and then the retry tested below does not happen.
  small = await StagingStore.open(
    { path: join(dir, 'small.duckdb'), runId: 'wide', memoryLimit: SMALL_LIMIT },
    { clock: busyClock(), logger },
  );
  for (let p = 1; p <= PAGES; p++) {
    const raw = Array.from({ length: PAGE }, (_, i) =>
      JSON.stringify({ id: (p - 1) * PAGE + i + 1, name: i % 10 === 0 ? wide : 'short', tags: ['a'], address: { city: 'x' } }),
    );
    await stageRaw(store, p, raw);
    await stageRaw(small, p, raw);
  }
}, 60_000);
afterAll(async () => {
  await store.close();
  await small.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wide records', () => {
  it.each<OutputFormat>(['ndjson', 'json'])(
    `writes %s of records with 10 KB fields within a ${LIMIT} DuckDB memory limit`,
    async (format) => {
      const path = join(dir, `out.${format}`);
      const file = await writeFinalFile(store, { format, path });
      expect(file.rows).toBe(PAGES * PAGE);
      const text = readFileSync(path, 'utf8');
      const rows = (
        format === 'json'
          ? JSON.parse(text)
          : text
              .trimEnd()
              .split('\n')
              .map((line) => JSON.parse(line) as unknown)
      ) as { id: number; name: string }[];
      expect(rows.filter((r) => r.name === wide)).toHaveLength((PAGES * PAGE) / 10);
    },
    60_000,
  );

  it('writes Parquet of records with 10 KB fields in row groups of about 4 MB, not of 16,384 rows', async () => {
    const everyWide = await StagingStore.open({ path: join(dir, 'every.duckdb'), runId: 'every', memoryLimit: LIMIT });
    try {
      // 50 MB of text: 5,000 records of 10 KB.
      for (let p = 1; p <= 5; p++)
        await stageRaw(
          everyWide,
          p,
          Array.from({ length: PAGE }, (_, i) => JSON.stringify({ id: (p - 1) * PAGE + i + 1, name: wide })),
        );
      const path = join(dir, 'every.parquet');
      expect((await writeFinalFile(everyWide, { format: 'parquet', path })).rows).toBe(5 * PAGE);
      const groups = await query(
        `SELECT row_group_id, any_value(row_group_num_rows)::INTEGER AS n FROM parquet_metadata('${path}') GROUP BY ALL ORDER BY 1`,
      );
      // The writer checks the size after each batch of 2,048 rows (DuckDB's vector): 20 MB of these.
      const rows = groups.map((g) => Number(g['n']));
      expect(rows.reduce((sum, n) => sum + n, 0)).toBe(5 * PAGE);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...rows)).toBeLessThanOrEqual(2048);
    } finally {
      await everyWide.close();
    }
  }, 60_000);

  it(`builds the report within ${LIMIT}`, async () => {
    warnings.length = 0;
    expect((await stagingReport(store)).records.unique).toBe(PAGES * PAGE);
    expect(warnings).toEqual([]);
  }, 60_000);

  it(`builds the report: out of memory at ${SMALL_LIMIT}, it runs again with the limit doubled, says so, and sets it back`, async () => {
    warnings.length = 0;
    // A rule that checks the wide field's values: the report then reads its text.
    const report = await stagingReport(small, { name: { type: 'email', required: false } });
    expect(report.records).toMatchObject({ received: PAGES * PAGE, unique: PAGES * PAGE, rejectedByRules: PAGES * PAGE });
    const name = report.columns.find((c) => c.name === 'name');
    expect(name).toMatchObject({ present: PAGES * PAGE, nulls: 0, types: { VARCHAR: PAGES * PAGE }, invalid: PAGES * PAGE });
    expect(warnings).toEqual([
      expect.objectContaining({
        memoryLimit: SMALL_LIMIT,
        retryWith: '80MB',
        msg: expect.stringMatching(/ran out of memory to build the staging report/),
      }),
    ]);
    const limit = await small.readStaged('read the memory limit', async (staged) => {
      const rows = await staged.query("SELECT current_setting('memory_limit')");
      return String(rows[0]?.[0]);
    });
    expect(limit).toBe('38.1 MiB');
  }, 60_000);
});
