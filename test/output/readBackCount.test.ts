import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { readBackCountSql } from '../../src/output/renderColumns.js';

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
});
