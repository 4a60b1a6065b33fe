import { formatCount } from './format.js';
import type { RunReport } from './runReport.js';

/**
 * Shell commands that let a reader check the delivered data themselves with what they have: the
 * package's own `ingest query` (DuckDB built in), no DuckDB CLI.
 */
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

/** A word for a POSIX shell, quoted only when needed. */
const shellWord = (text: string): string => (/^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`);

/** `ingest query FILE [SQL]`: the file is the table `data`; without SQL, its row count and first rows. */
const ingestQuery = (file: string, sql?: string): string =>
  `ingest query ${shellWord(file)}${sql === undefined ? '' : ` ${shellDouble(sql)}`}`;

export function duckdbSnippet(report: RunReport): DuckdbSnippet {
  const output = report.output;
  if (!output) return { local: [], s3: [], notes: ['No output file was written, so there is nothing to query.'] };
  const localCommands = [ingestQuery(output.path), ingestQuery(output.path, 'DESCRIBE data')];
  const notes = [
    `Expect ${formatCount(output.rows)} rows (the report's unique records).`,
    '`ingest query` runs SQL over the file, the table `data`, with the DuckDB this package holds (no DuckDB CLI needed); in a checkout, `npm run ingest -- query …`.',
  ];
  const s3Commands: string[] = [];
  if (report.delivery) {
    s3Commands.push(ingestQuery(report.delivery.uri, 'SELECT count(*) AS rows FROM data'));
    notes.push(
      'Reading s3:// takes credentials from the AWS standard chain (your environment or profile); for an S3-compatible ' +
        'server (MinIO, s3rver, moto) add --s3-endpoint URL --s3-force-path-style.',
    );
  }
  return { local: localCommands, s3: s3Commands, notes };
}
