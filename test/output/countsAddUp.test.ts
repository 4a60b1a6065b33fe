import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stagingReport, writeFinalFile } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { declared } from '../../src/simulator/simulatorSchemas.js';

/** A record: a key from a small pool (so keys repeat), or none; a valid or invalid email. */
const record = fc.record({ id: fc.option(fc.integer({ min: 1, max: 12 }), { freq: 5 }), good: fc.boolean() });
const pages = fc.array(fc.array(record, { maxLength: 6 }), { minLength: 1, maxLength: 4 });

const lines = (path: string): number =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '').length;

describe('the counts of a written file add up', () => {
  it.each(['none', 'clean'] as const)(
    'received = unique + duplicates + without a key (none refused), rows + rejected = unique (transform %s)',
    async (transform) => {
      await fc.assert(
        fc.asyncProperty(pages, async (drawn) => {
          const dir = mkdtempSync(join(tmpdir(), 'counts-'));
          const store = await StagingStore.open({ path: join(dir, 'r.duckdb'), runId: 'r' });
          try {
            for (const [i, page] of drawn.entries()) {
              const records = page.map(({ id, good }) => ({
                ...(id === null ? {} : { id }),
                email: good ? `u${id}@example.com` : 'not-an-email',
              }));
              await store.stagePage({ page: i + 1, records, fetchedAt: 0, attempts: 1, latencyMs: 1, keyField: 'id' });
            }
            const file = await writeFinalFile(store, {
              format: 'ndjson',
              path: join(dir, 'out.ndjson'),
              transform,
              cleanSchema: declared({ id: 'integer', email: 'email' }),
            });
            const sql = await stagingReport(store, declared({ id: 'integer', email: 'email' }));

            // The model: the first record of each key wins; the rules judge that one.
            const all = drawn.flat();
            const first = new Map<number, boolean>();
            for (const { id, good } of all) if (id !== null && !first.has(id)) first.set(id, good);
            const withoutKey = all.filter((r) => r.id === null).length;
            const rejected = transform === 'clean' ? [...first.values()].filter((good) => !good).length : 0;

            expect(sql.records).toMatchObject({
              received: all.length,
              unique: first.size,
              duplicates: all.length - withoutKey - first.size,
              unkeyed: withoutKey,
            });
            expect(sql.records.received).toBe(sql.records.unique + sql.records.duplicates + sql.records.unkeyed);
            expect({ rows: file.rows, rejected: file.rejected, withoutKey: file.withoutKey }).toEqual({
              rows: first.size - rejected,
              rejected,
              withoutKey,
            });
            // Each rejected record counted once: the file and its rejects hold every unique record and every keyless one exactly once.
            expect(lines(file.path)).toBe(file.rows);
            expect(file.rows + file.rejected).toBe(sql.records.unique);
            // No rejects, no file.
            expect(file.rejectsPath === undefined ? 0 : lines(file.rejectsPath)).toBe(rejected + withoutKey);
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 8 },
      );
    },
    30_000,
  );
});
