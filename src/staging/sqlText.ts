/** SQL text helpers: staging's, as it writes SQL over its own tables; output builds its SQL with them too. */
/** A SQL string literal. */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** A quoted SQL identifier. */
export const sqlIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A DuckDB JSON path for a top-level key (quoted, so any key works). */
export const jsonPath = (key: string): string => sqlString(`$.${JSON.stringify(key)}`);
