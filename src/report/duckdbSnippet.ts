import { formatCount } from './format.js';
import type { RunReport } from './runReport.js';

/** Shell commands that let a reader check the delivered data themselves with DuckDB. */
export interface DuckdbSnippet {
  /** Commands over the local output file, when there is one. */
  readonly local: readonly string[];
  /** Commands over the delivered S3 object, when there is one. */
  readonly s3: readonly string[];
  readonly notes: readonly string[];
}

const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** Quotes for a POSIX shell's double quotes, where `\`, `$`, `` ` `` and `"` are special. */
const shellDouble = (value: string): string => `"${value.replace(/[\\$`"]/g, (c) => `\\${c}`)}"`;

/** The DuckDB table function that reads a file of this output format. */
export function duckdbReader(format: string, location: string): string {
  const at = sqlString(location);
  switch (format.toLowerCase()) {
    case 'parquet':
      return `read_parquet(${at})`;
    case 'ndjson':
    case 'jsonl':
      return `read_json(${at}, format = 'newline_delimited')`;
    case 'json':
      return `read_json(${at}, format = 'array')`;
    case 'csv':
      // A quoted empty string is text, not NULL: the file tells them apart.
      return `read_csv(${at}, allow_quoted_nulls = false)`;
    default:
      // DuckDB picks a reader from the file extension.
      return at;
  }
}

const duckdb = (sql: string): string => `duckdb -c ${shellDouble(sql)}`;

export function duckdbSnippet(report: RunReport): DuckdbSnippet {
  const output = report.output;
  if (!output) return { local: [], s3: [], notes: ['No output file was written, so there is nothing to query.'] };
  const local = duckdbReader(output.format, output.path);
  const localCommands = [
    duckdb(`SELECT count(*) AS rows FROM ${local}`),
    duckdb(`DESCRIBE SELECT * FROM ${local}`),
    duckdb(`SELECT * FROM ${local} LIMIT 5`),
  ];
  const notes = [`Expect ${formatCount(output.rows)} rows (the report's unique records).`];
  const s3Commands: string[] = [];
  if (report.delivery) {
    const remote = duckdbReader(output.format, report.delivery.uri);
    s3Commands.push(
      duckdb(`INSTALL httpfs; LOAD httpfs; CREATE SECRET (TYPE s3, PROVIDER credential_chain); SELECT count(*) AS rows FROM ${remote}`),
    );
    notes.push(
      'Reading s3:// needs the httpfs extension (INSTALL httpfs; LOAD httpfs) and an S3 secret; ' +
        'PROVIDER credential_chain picks up your AWS environment or profile.',
      "For an S3-compatible server (MinIO, s3rver, moto) create the secret with KEY_ID, SECRET, ENDPOINT 'host:port', URL_STYLE 'path' and USE_SSL false instead.",
    );
  }
  return { local: localCommands, s3: s3Commands, notes };
}
