import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';

/** A connection to an in-memory DuckDB, opened before the file's tests and closed after them: call it in a test for the connection. */
export function inMemoryDuckdb(): () => DuckDBConnection {
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    instance?.closeSync();
  });
  return () => {
    if (conn === undefined) throw new Error('the in-memory DuckDB is open only while the tests run');
    return conn;
  };
}
