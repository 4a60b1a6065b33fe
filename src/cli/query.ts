import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { outputFormatNames } from '../config/formats.js';
import { ConfigError } from '../errors.js';
import { duckdbReader } from '../report/duckdbSnippet.js';
import { neutralizeControls } from '../report/format.js';
import { queryFile, type QueryResult } from '../staging/index.js';
import { createS3Client } from '../storage/index.js';

interface QueryFlags {
  readonly format?: string;
  readonly s3Endpoint?: string;
  readonly s3Region: string;
  readonly s3ForcePathStyle?: boolean;
}

/** Without SQL: how many rows, and the first five. */
export const DEFAULT_QUERIES = ['SELECT count(*) AS rows FROM data', 'SELECT * FROM data LIMIT 5'] as const;

/** A delivered file's format from its name (`customers_x.parquet` -> parquet). */
function formatOf(location: string, flag: string | undefined): string {
  const format = flag ?? extname(location).slice(1).toLowerCase();
  if (!(outputFormatNames as readonly string[]).includes(format))
    throw new ConfigError([`cannot tell the format of "${basename(location)}": pass --format ${outputFormatNames.join('|')}`]);
  return format;
}

/** Copies an s3:// object to `dir`: DuckDB's own S3 reader is an extension it would download first. */
async function download(uri: string, dir: string, flags: QueryFlags): Promise<string> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new ConfigError([`"${uri}" is not an s3://bucket/key URI`]);
  const client = createS3Client({
    region: flags.s3Region,
    ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}),
    ...(flags.s3ForcePathStyle ? { forcePathStyle: true } : {}),
  });
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
    const path = join(dir, basename(match[2]!));
    await pipeline(object.Body as Readable, createWriteStream(path));
    return path;
  } finally {
    client.destroy();
  }
}

/** A plain text table: one header line, then the rows; text values unquoted, control characters neutralised. */
export function renderTable(result: QueryResult): string {
  const cell = (value: unknown): string => neutralizeControls(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'NULL'));
  const rows = [result.columns.map(cell), ...result.rows.map((row) => row.map(cell))];
  // A loop, not Math.max(...): a query may return more rows than a call has room for arguments.
  const widths = result.columns.map((_, i) => rows.reduce((width, row) => Math.max(width, row[i]!.length), 0));
  return rows
    .map((row) =>
      row
        .map((value, i) => value.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `ingest query`: SQL over a delivered file (local or s3://) with the DuckDB this package already has. */
export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run SQL over a delivered file (parquet, ndjson, csv, json; a path or s3://bucket/key); the file is the table `data`')
    .argument('<file>', 'the file: a local path or s3://bucket/key')
    .argument('[sql]', 'SQL over the table `data` (default: its row count and first 5 rows)')
    .option('--format <format>', `the file's format, when its name does not tell: ${outputFormatNames.join(', ')}`)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// (credentials: the AWS standard chain)')
    .option('--s3-region <region>', 'S3 region for s3://', 'us-east-1')
    .option('--s3-force-path-style', 'path-style S3 URLs (MinIO, s3rver, moto)')
    .action(async (file: string, sql: string | undefined, flags: QueryFlags) => {
      const format = formatOf(file, flags.format);
      const dir = file.startsWith('s3://') ? await mkdtemp(join(tmpdir(), 'ingest-query-')) : undefined;
      try {
        const path = dir ? await download(file, dir, flags) : file;
        const results = await queryFile(duckdbReader(format, path), sql === undefined ? DEFAULT_QUERIES : [sql]);
        process.stdout.write(`${results.map(renderTable).join('\n\n')}\n`);
      } finally {
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    });
}
