import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/runtime/clock.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { walBytes } from '../../src/staging/duckdbMemory.js';
import { StagingStore } from '../../src/staging/index.js';
import { busyClock } from './fixtures/busyClock.js';
import { page } from './fixtures/stagePageInput.js';
import type { RecordShape } from '../../src/staging/recordFields.js';
import type { OnConflict } from '../../src/staging/stagingTypes.js';

/** A few keys, so that pages repeat them, in other versions too; some records without one; types that differ per record. */
const record = fc.record(
  {
    id: fc.nat({ max: 40 }),
    a: fc.oneof(fc.nat({ max: 9 }), fc.constantFrom('x', 'y'), fc.constant(null)),
    b: fc.boolean(),
    c: fc.constant({ nested: true }),
  },
  { requiredKeys: ['a'] },
);
/** Pages in turns: a turn of one page is awaited alone (the store is idle after it: noted), a longer one staged at once (only its last noted). */
const turns = fc.array(fc.array(fc.array(record, { maxLength: 5 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 });

/**
 * A store on a clock that stands still, so that staging never looks busy and the connection is
 * used whenever it is free (on the real clock that depends on how fast this machine stages).
 */
async function open(path: string, onConflict: OnConflict, clock: Clock = new SimulatedClock()): Promise<StagingStore> {
  return StagingStore.open({ path, runId: 'run-1', memoryLimit: '256MB', threads: 1, onConflict }, { clock });
}

/** Runs `work` on a store (`open`'s, keeping the first copy of a key) in a directory of its own, then closes it and removes the directory. */
async function withStore(work: (store: StagingStore, path: string) => Promise<void>, clock?: Clock): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shapes-'));
  const path = join(dir, 'run.duckdb');
  const store = await open(path, 'first', clock);
  try {
    await work(store, path);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const shapeAndNoted = (store: StagingStore): Promise<[RecordShape, number]> =>
  store.readStaged('describe', async (staged) => [
    (await staged.unique()).shape,
    Number((await staged.query('SELECT count(DISTINCT page) FROM page_shapes'))[0]?.[0]),
  ]);

describe('page shapes noted while staging waits', () => {
  it("reliability row 43: the notes describe the unique records as reading every record does: pages that lost a copy, pages not noted and an earlier process's notes included", async () => {
    await fc.assert(
      fc.asyncProperty(turns, turns, fc.constantFrom<OnConflict>('first', 'last'), async (before, after, onConflict) => {
        const dir = mkdtempSync(join(tmpdir(), 'shapes-'));
        const path = join(dir, 'run.duckdb');
        try {
          let n = 0;
          const stageTurns = async (store: StagingStore, list: typeof before): Promise<void> => {
            for (const turn of list) await Promise.all(turn.map((records) => store.stagePage(page(++n, records))));
          };
          // Two processes: the second resumes from the first's pages and notes.
          const first = await open(path, onConflict);
          await stageTurns(first, before);
          await first.close();
          const second = await open(path, onConflict);
          await stageTurns(second, after);
          const [noted, notedPages] = await shapeAndNoted(second);
          await second.close();
          // The last turn of each process was noted once the store was idle.
          expect(notedPages).toBeGreaterThanOrEqual(2);

          const db = await DuckDBInstance.create(path);
          const conn = await db.connect();
          await conn.run('DELETE FROM page_shapes');
          conn.closeSync();
          db.closeSync();
          const third = await open(path, onConflict);
          const [read, none] = await shapeAndNoted(third);
          await third.close();
          expect(none).toBe(0);
          expect(noted).toEqual(read);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 20 },
    );
  });

  it("counts a page that lost copies from its notes less the copies' groups, and reads it only where a group's first two records were copies", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shapes-'));
    const path = join(dir, 'run.duckdb');
    try {
      const pages = [
        [
          { id: 1, a: 1 },
          { id: 9, a: 'x' },
          { id: 11, a: 1 },
        ],
        // The copy of 1 opens the group {id, a, z}, which keeps 3: its first is 3's place, noted
        // as the group's second, and y comes before z. The page is not read.
        [
          { id: 1, a: 1, z: true },
          { id: 2, a: 1, y: true },
          { id: 3, a: 1, z: true },
        ],
        // The copy of 9 is its group's only record here: the group is gone from the page.
        [
          { id: 4, a: 1 },
          { id: 9, a: 'x' },
        ],
        // The copy of 4 is its group's third record here: the group counts two.
        [
          { id: 5, a: 1 },
          { id: 6, a: 1 },
          { id: 4, a: 1 },
        ],
        // The copies of 11 and 1 are the first two of the group {id, a, v}, which keeps 13: where
        // that record stands was not noted, so this page is read.
        [
          { id: 11, a: 1, v: true },
          { id: 1, a: 1, v: true },
          { id: 12, a: 1, u: true },
          { id: 13, a: 1, v: true },
        ],
        // Pages that lost nothing: the page read stays under half of them.
        [{ id: 7, a: 1 }],
        [{ id: 8, a: 1 }],
        [{ id: 10, a: 1 }],
      ];
      const store = await open(path, 'first');
      for (const [i, records] of pages.entries()) await store.stagePage(page(i + 1, records));
      await store.close();
      // Records changed behind the notes tell a page read from a page counted: 2's key y becomes w
      // (page 2, counted: still y), 12's key u becomes t (page 5, read: t).
      const db = await DuckDBInstance.create(path);
      const conn = await db.connect();
      await conn.run(`UPDATE raw_records SET record = '{"id":2,"a":1,"w":true}' WHERE page = 2 AND seq = 1`);
      await conn.run(`UPDATE raw_records SET record = '{"id":12,"a":1,"t":true}' WHERE page = 5 AND seq = 2`);
      conn.closeSync();
      db.closeSync();
      const again = await open(path, 'first');
      const [shape, noted] = await shapeAndNoted(again);
      await again.close();
      expect(noted).toBe(8);
      expect(shape.keys).toEqual(['id', 'a', 'y', 'z', 't', 'v']);
      expect(shape.types).toEqual(
        new Map([
          ['id', { UBIGINT: 13 }],
          ['a', { UBIGINT: 12, VARCHAR: 1 }],
          ['y', { BOOLEAN: 1 }],
          ['z', { BOOLEAN: 1 }],
          ['t', { BOOLEAN: 1 }],
          ['v', { BOOLEAN: 1 }],
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('notes each page once, and not while another call waits for the connection', () =>
    withStore(async (store) => {
      await store.stagePage(
        page(1, [
          { id: 1, a: 1 },
          { id: 10, a: 'x' },
          { id: 11, a: 2 },
        ]),
      );
      await Promise.all([2, 3, 4].map((p) => store.stagePage(page(p, [{ id: p, a: 'x' }]))));
      await store.stagePage(page(5, []));
      const rows = await store.readStaged('noted', (staged) =>
        staged.query('SELECT page, t, k, ts, first, n, second FROM page_shapes ORDER BY page, n, first'),
      );
      expect(rows).toEqual([
        [1, null, null, null, null, 0n, null],
        [1, 'OBJECT', listOf('id', 'a'), listOf('UBIGINT', 'VARCHAR'), 1_000_000_100_000n, 1n, null],
        // A group's second record: where it stands.
        [1, 'OBJECT', listOf('id', 'a'), listOf('UBIGINT', 'UBIGINT'), 1_000_000_000_000n, 2n, 1_000_000_200_000n],
        // Staged at once: only the call that found the connection free noted, and the pages since.
        [2, null, null, null, null, 0n, null],
        [2, 'OBJECT', listOf('id', 'a'), listOf('UBIGINT', 'VARCHAR'), 2_000_000_000_000n, 1n, null],
        [3, null, null, null, null, 0n, null],
        [3, 'OBJECT', listOf('id', 'a'), listOf('UBIGINT', 'VARCHAR'), 3_000_000_000_000n, 1n, null],
        [4, null, null, null, null, 0n, null],
        [4, 'OBJECT', listOf('id', 'a'), listOf('UBIGINT', 'VARCHAR'), 4_000_000_000_000n, 1n, null],
        // A page without records is noted too.
        [5, null, null, null, null, 0n, null],
      ]);
    }));
});

describe('the idle connection', () => {
  it('is left alone while staging keeps it busy half of the time or more: the pages are described at the end', () =>
    withStore(async (store) => {
      for (let p = 1; p <= 3; p++) await store.stagePage(page(p, [{ id: p, a: p }]));
      const [shape, noted] = await shapeAndNoted(store);
      expect(noted).toBe(0);
      expect(shape.types).toEqual(
        new Map([
          ['id', { UBIGINT: 3 }],
          ['a', { UBIGINT: 3 }],
        ]),
      );
    }, busyClock()));

  it('folds a log of 1 MiB or more into the database, so that closing it before the final file need not', () =>
    withStore(async (store, path) => {
      const wide = (p: number): unknown[] => Array.from({ length: 100 }, (_, i) => ({ id: p * 1000 + i, text: 'x'.repeat(5_000) }));
      const logs: number[] = [];
      for (let p = 1; p <= 8; p++) {
        await store.stagePage(page(p, wide(p)));
        // Queued after the idle work: the log as that work left it.
        await store.counts();
        logs.push(walBytes(path));
      }
      // About 500 KB a page: the log grew past 1 MiB every few pages and was folded each time.
      expect(Math.max(...logs)).toBeLessThan(1024 * 1024 + 600_000);
      expect(logs.filter((bytes, i) => i > 0 && bytes < logs[i - 1]!).length).toBeGreaterThanOrEqual(2);
      expect((await store.counts()).records).toBe(800);
    }));
});

/** A DuckDB list value as `query` returns it, compared by its items. */
const listOf = (...items: string[]): unknown => expect.objectContaining({ items });
