import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { readBackReader, readBackRoom, type OutputFormat } from '../../src/output/renderColumns.js';

/** What the writer asks when it reads a file back to count its rows. */
const readBackCountSql = (format: OutputFormat, path: string, room?: number): string =>
  `SELECT count(*) FROM ${readBackReader(format, path, room)}`;

const dir = mkdtempSync(join(tmpdir(), 'read-back-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading a written file back', () => {
  it('counts the rows of a CSV file larger than the memory limit, under the default limit of 64 MB', async () => {
    // As staging's database is set up for the write (duckdbMemory): one thread, insertion order not kept.
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '64MB', threads: '1', preserve_insertion_order: 'false' });
    const conn = await instance.connect();
    try {
      const path = join(dir, 'big.csv');
      await conn.run(`COPY (SELECT i AS id, repeat('x', 300) AS text FROM range(250000) t(i)) TO '${path}' (FORMAT csv, HEADER true)`);
      expect(statSync(path).size).toBeGreaterThan(70_000_000);
      // DuckDB's default buffers (2 × 32 MB) ran out of memory here.
      const [[count]] = (await conn.runAndReadAll(readBackCountSql('csv', path))).getRows() as [[bigint]];
      expect(count).toBe(250_000n);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it.each([
    ['csv', 'a CSV line of 9 MiB', `id,text\n1,x\n2,${'x'.repeat(9 * 2 ** 20)}\n`],
    ['ndjson', 'a JSON object of 40 MiB', `{"id":1}\n{"id":2,"text":"${'x'.repeat(40 * 2 ** 20)}"}\n`],
    ['json', 'a JSON object of 40 MiB in an array', `[\n\t{"id":1},\n\t{"id":2,"text":"${'x'.repeat(40 * 2 ** 20)}"}\n]\n`],
  ] as const)('%s: %s is read back with the room the reader says it needs', async (format, _, text) => {
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '1GB', threads: '1' });
    const conn = await instance.connect();
    try {
      const path = join(dir, `long.${format}`);
      writeFileSync(path, text);
      const error = await conn.runAndReadAll(readBackCountSql(format, path)).then(
        () => undefined,
        (e: unknown) => e,
      );
      const room = readBackRoom(error);
      expect(room, String(error)).toBeGreaterThan(9 * 2 ** 20);
      const [[count]] = (await conn.runAndReadAll(readBackCountSql(format, path, room))).getRows() as [[bigint]];
      expect(count).toBe(2n);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('names no room for other errors', () => {
    expect(readBackRoom(new Error('Out of Memory Error: failed to allocate data of size 16.0 MiB'))).toBeUndefined();
  });
});
