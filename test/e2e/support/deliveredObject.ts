import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { ExactNumber, parseExact, type ExactValue } from './exactJson.js';

export type Format = 'parquet' | 'ndjson' | 'csv' | 'json';

/** A row of a delivered file: exact JSON values, or the raw cells of a CSV (text or null). */
export type Row = Readonly<Record<string, ExactValue>>;

export interface DeliveredObject {
  readonly key: string;
  readonly bytes: number;
  readonly rows: readonly Row[];
  /** Column names in file order. */
  readonly columns: readonly string[];
}

/** Every key in the bucket (under `prefix`), sorted. */
export async function listKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])));
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return keys.sort();
}

export async function getObjectText(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

const sql = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** A row's `id` as a number (NaN when it has none). */
export function idOf(row: Row): number {
  const id = row['id'];
  return Number(id instanceof ExactNumber ? id.text : id);
}

/** Rows in id order (rows without a numeric id last, in file order). */
const byId = (rows: Row[]): Row[] => {
  const rank = (row: Row): number => (Number.isFinite(idOf(row)) ? idOf(row) : Infinity);
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => rank(a.row) - rank(b.row) || a.i - b.i)
    .map(({ row }) => row);
};

/** DuckDB's CSV reader options for a line of up to `bytes` (by default it reads lines of at most 2 MB). */
const longLines = (bytes: number): string => {
  const size = Math.max(bytes + 1, 32 * 1024 * 1024);
  return `max_line_size = ${size}, buffer_size = ${size}`;
};

/**
 * Downloads the object to a temp file and reads it with DuckDB, as a user of the lake would:
 * Parquet rows as exact JSON (`to_json` of the row), NDJSON/JSON objects as their exact text,
 * CSV cells as text (all_varchar), sorted by id: the file's row order is not specified.
 */
export async function readDelivered(client: S3Client, bucket: string, key: string, format: Format): Promise<DeliveredObject> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-read-'));
  const file = join(dir, `object.${format}`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(out.Body as Readable, createWriteStream(file));
    const bytes = out.ContentLength ?? 0;
    await conn.run(`SET TimeZone = 'UTC'`);
    if (format === 'csv') {
      const reader = await conn.runAndReadAll(
        `SELECT * FROM read_csv(${sql(file)}, header = true, all_varchar = true, quote = '"', escape = '"', delim = ',', strict_mode = true, allow_quoted_nulls = false, ${longLines(bytes)})`,
      );
      const columns = reader.columnNames();
      const rows = reader
        .getRowObjects()
        .map((r) => Object.fromEntries(columns.map((c) => [c, r[c] === null ? null : String(r[c])])) as Row);
      return { key, bytes, rows: byId(rows), columns };
    }
    const source =
      format === 'parquet'
        ? `SELECT to_json(t)::VARCHAR AS j FROM read_parquet(${sql(file)}) t`
        : format === 'ndjson'
          ? `SELECT json::VARCHAR AS j FROM read_ndjson_objects(${sql(file)})`
          : `SELECT json::VARCHAR AS j FROM read_json_objects(${sql(file)}, format = 'array')`;
    const reader = await conn.runAndReadAll(source);
    const rows = reader.getRows().map(([j]) => parseExact(String(j)) as Row);
    const columns =
      format === 'parquet'
        ? (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sql(file)})`)).getRows().map(([name]) => String(name))
        : Object.keys(rows[0] ?? {});
    return { key, bytes, rows: byId(rows), columns };
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The column names of an empty or non-empty file, as DuckDB sees its schema. */
export async function describeDelivered(client: S3Client, bucket: string, key: string, format: Format): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-describe-'));
  const file = join(dir, `object.${format}`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await pipeline(Readable.from(await getObjectBytes(client, bucket, key)), createWriteStream(file));
    const reader =
      format === 'parquet'
        ? `read_parquet(${sql(file)})`
        : format === 'csv'
          ? `read_csv(${sql(file)}, header = true, all_varchar = true)`
          : `read_json(${sql(file)})`;
    return (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`)).getRows().map(([name]) => String(name));
  } finally {
    conn.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

/** 1..n. */
export const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
