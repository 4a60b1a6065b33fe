import { DuckDBInstance, type Json } from '@duckdb/node-api';

/** One statement's answer: column names and rows as JSON values. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Json[])[];
}

/**
 * Runs `statements` in a throwaway in-memory DuckDB where `data` is a view over `source` (a
 * DuckDB table expression such as `read_parquet('out.parquet')`). Nothing is written anywhere.
 */
export async function queryFile(source: string, statements: readonly string[]): Promise<QueryResult[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await connection.run(`CREATE VIEW data AS SELECT * FROM ${source}`);
      const results: QueryResult[] = [];
      for (const sql of statements) {
        const reader = await connection.runAndReadAll(sql);
        results.push({ columns: reader.deduplicatedColumnNames(), rows: reader.getRowsJson() });
      }
      return results;
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
