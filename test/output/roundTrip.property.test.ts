import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unescapeCsvCell, writeFinalFile, type FinalFile, type OutputFormat } from '../../src/output/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { query } from './fixtures/readBack.js';

/**
 * Field names of every kind: any characters (lone surrogates and control characters included,
 * which staging refuses), names differing only by case, the lineage columns' names and the names
 * the columnar formats give a taken one.
 */
const key = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.string({ unit: 'grapheme-composite', maxLength: 4 }),
    fc.constantFrom(
      'Name',
      'name',
      'NAME',
      'name__2',
      '_run_id',
      '_RUN_ID',
      '_page',
      '_fetched_at',
      '',
      '*',
      'a.b',
      'a"b',
      ' a ',
      'é',
      'É',
    ),
  )
  .filter((k) => k !== 'id');
const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }));
/** Records of up to 6 fields (mixed types across records), `id` their position; their exact text as the API sends it. */
const records = fc
  .array(fc.array(fc.tuple(key, value), { maxLength: 6 }), { minLength: 1, maxLength: 5 })
  .map((fields) => fields.map((entries, i) => JSON.stringify(Object.fromEntries([['id', i + 1], ...entries]))));

const limits = { maxRecordBytes: 1_048_576, maxRecordDepth: 64, maxRecordKeys: 2000 };
const formats: readonly OutputFormat[] = ['parquet', 'ndjson', 'json', 'csv'];

type Json = ReturnType<typeof JSON.parse>;

/** The file's rows as objects of JSON values (CSV: its cells as text, the header read as written). */
async function rowsOf(file: FinalFile): Promise<Record<string, Json>[]> {
  const p = `'${file.path.replaceAll("'", "''")}'`;
  switch (file.format) {
    case 'ndjson':
      return readFileSync(file.path, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, Json>);
    case 'json':
      return JSON.parse(readFileSync(file.path, 'utf8')) as Record<string, Json>[];
    case 'parquet':
      return (await query(`SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${p}) t`)).map(
        (r) => JSON.parse(String(r['j'])) as Record<string, Json>,
      );
    case 'csv': {
      // Without a header DuckDB keeps the names as written (as a header it trims their spaces).
      const cells = (
        await query(
          `SELECT * FROM read_csv(${p}, header = false, all_varchar = true, quote = '"', escape = '"', delim = ',', allow_quoted_nulls = false)`,
        )
      ).map((r) => Object.values(r) as (string | null)[]);
      const [header = [], ...body] = cells;
      return body.map((row) => Object.fromEntries(header.map((name, i) => [String(name), row[i] ?? null])));
    }
  }
}

/**
 * The value `expected` as the format renders it: Parquet and CSV hold a JSON column (objects,
 * arrays, mixed types) as its text, a string without its quotes; CSV holds text.
 */
function asWritten(cell: Json, expected: Json, type: string | undefined, format: OutputFormat): Json {
  if (format === 'ndjson' || format === 'json' || cell === null) return cell;
  const text = format === 'csv' && (type === 'VARCHAR' || type === 'JSON') ? unescapeCsvCell(String(cell)) : cell;
  if (typeof expected === 'string' || typeof text !== 'string') return text;
  return JSON.parse(text) as Json;
}

describe('random records round-trip exactly in every format, or are rejected with a reason', () => {
  it.each(formats)(
    '%s',
    async (format) => {
      await fc.assert(
        fc.asyncProperty(records, async (raw) => {
          const dir = mkdtempSync(join(tmpdir(), 'roundtrip-'));
          const store = await StagingStore.open({ path: join(dir, 'r.duckdb'), runId: 'r' });
          try {
            await store.stagePage({
              page: 1,
              records: raw.map((text) => JSON.parse(text) as unknown),
              rawRecords: raw,
              rawRecordsParsed: true,
              limits,
              fetchedAt: 0,
              attempts: 1,
              latencyMs: 1,
              keyField: 'id',
            });
            const file = await writeFinalFile(store, { format, path: join(dir, `out.${format}`) });
            const rows = new Map((await rowsOf(file)).map((row) => [Number(row['id']), row]));
            const rejects = file.rejectsPath
              ? readFileSync(file.rejectsPath, 'utf8')
                  .split('\n')
                  .filter((line) => line !== '')
                  .map((line) => JSON.parse(line) as { seq: number; reasons: string[]; record: Json })
              : [];
            // Every record once: in the file or in the rejects, never both, never neither.
            expect(rows.size + rejects.length).toBe(raw.length);
            for (const reject of rejects) {
              expect(reject.reasons.length).toBeGreaterThan(0);
              expect(reject.record).toBe(raw[reject.seq]);
            }
            const columnOf = (field: string): string => file.renamed.find((r) => r.field === field)?.column ?? field;
            const types = new Map(file.columns.map((c) => [c.name, c.type]));
            for (const [i, text] of raw.entries()) {
              const row = rows.get(i + 1);
              if (row === undefined) continue;
              expect(row['_run_id']).toBe('r');
              for (const [field, expected] of Object.entries(JSON.parse(text) as Record<string, Json>)) {
                const column = columnOf(field);
                expect(column in row, `${JSON.stringify(field)} as ${JSON.stringify(column)}`).toBe(true);
                const cell = asWritten(row[column], expected, types.get(column), format);
                if (format === 'csv' && expected !== null && typeof expected !== 'string' && typeof expected !== 'object')
                  expect(cell).toEqual(expected);
                else expect(cell, JSON.stringify(field)).toEqual(expected);
              }
            }
          } finally {
            await store.close();
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 12 },
      );
    },
    60_000,
  );
});
