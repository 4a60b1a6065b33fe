import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { expectedCustomers, type SimulatorOptions } from '../../src/simulator/index.js';
import { partitionOf, renderKey } from '../../src/storage/index.js';
import { INGEST_DATE } from './ingestProcess.js';

export type Format = 'parquet' | 'ndjson';

/** Where a run's files and object are, from what `runPaths` and the default key template say. */
export function runLocations(
  dataDir: string,
  runId: string,
  format: Format,
  prefix = '',
): { staging: string; output: string; report: string; key: string; partition: string } {
  const key = renderKey({ prefix, dataset: 'customers', ingestDate: INGEST_DATE, runId, ext: format });
  return {
    staging: join(dataDir, 'staging', 'customers', `${runId}.duckdb`),
    output: join(dataDir, 'output', 'customers', `ingest_date=${INGEST_DATE}`, `customers_${runId}.${format}`),
    report: join(dataDir, 'reports', 'customers', `${runId}.report.json`),
    key,
    partition: partitionOf(key),
  };
}

/** What the staging database holds, read without writing to it. */
export interface StagingFacts {
  /** Pages with a checkpoint row. */
  readonly committed: number[];
  /** Committed pages whose raw rows do not number what their checkpoint says. */
  readonly torn: number[];
  /** Pages with raw rows but no checkpoint row. */
  readonly orphans: number[];
  /** Committed pages with no records (e.g. the page past the end, fetched ahead). */
  readonly empty: number[];
  /** Raw rows staged in all. */
  readonly rows: number;
}

export async function stagingFacts(path: string): Promise<StagingFacts> {
  if (!existsSync(path)) return { committed: [], torn: [], orphans: [], empty: [], rows: 0 };
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const pages = async (sql: string): Promise<number[]> => (await conn.runAndReadAll(sql)).getRows().map((row) => Number(row[0]));
    return {
      committed: await pages('SELECT page FROM pages ORDER BY page'),
      torn: await pages(`SELECT p.page FROM pages p LEFT JOIN (SELECT page, count(*) AS n FROM raw_records GROUP BY page) r USING (page)
        WHERE coalesce(r.n, 0) <> p.records ORDER BY p.page`),
      orphans: await pages('SELECT DISTINCT page FROM raw_records WHERE page NOT IN (SELECT page FROM pages) ORDER BY page'),
      empty: await pages('SELECT page FROM pages WHERE records = 0 ORDER BY page'),
      rows: (await pages('SELECT count(*) FROM raw_records'))[0] ?? 0,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Files left beside the final file by a writer that died before its rename. */
export function tempFilesBeside(output: string): string[] {
  const dir = dirname(output);
  if (!existsSync(dir)) return [];
  // `.<name>.<pid>.<n>.tmp`: the data file's own temporaries, not those of the files beside it (rejects, schema).
  const own = new RegExp(`^\\.${basename(output).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.\\d+\\.tmp$`);
  return readdirSync(dir).filter((name) => own.test(name));
}

/** What the store holds for a run, checked against the simulator's oracle. */
export interface DeliveryFacts {
  /** Every object in the data partition. */
  readonly partitionKeys: string[];
  /** Unfinished multipart uploads in the bucket, or 'unsupported' (s3rver cannot list them). */
  readonly pendingUploads: number | 'unsupported';
  readonly rows: number;
  readonly uniqueIds: number;
  /** Oracle ids absent from the object, and object ids the oracle does not have (first 10 each). */
  readonly missingIds: number[];
  readonly unexpectedIds: number[];
  /** Ids whose email differs from the oracle's (first 10): content, not only keys. */
  readonly contentMismatches: number[];
}

/** The facts a successful delivery must show: one object, nothing pending, every record once. */
export function deliveredOnce(key: string, records: number, pendingUploads: number | 'unsupported' = 0): DeliveryFacts {
  return {
    partitionKeys: [key],
    pendingUploads,
    rows: records,
    uniqueIds: records,
    missingIds: [],
    unexpectedIds: [],
    contentMismatches: [],
  };
}

export async function deliveryFacts(
  client: S3Client,
  options: Readonly<{ bucket: string; key: string; format: Format; oracle: SimulatorOptions; scratchDir: string }>,
): Promise<DeliveryFacts> {
  const { bucket, key } = options;
  const partitionKeys = await keysInPartition(client, bucket, key);
  const pendingUploads = await countPendingUploads(client, bucket);
  if (!partitionKeys.includes(key)) {
    return { partitionKeys, pendingUploads, rows: 0, uniqueIds: 0, missingIds: [], unexpectedIds: [], contentMismatches: [] };
  }
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const file = join(options.scratchDir, `read-back-${basename(key)}`);
  await writeFile(file, await object.Body!.transformToByteArray());
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const source = options.format === 'parquet' ? `read_parquet('${file}')` : `read_json('${file}', format = 'newline_delimited')`;
    const rows = (await conn.runAndReadAll(`SELECT CAST(id AS BIGINT), email FROM ${source}`)).getRows();
    const seen = new Map<number, string | null>();
    for (const [id, email] of rows) seen.set(Number(id), email === null ? null : String(email));
    const oracle = new Map<number, unknown>();
    for (const record of expectedCustomers(options.oracle)) oracle.set(Number(record['id']), record['email']);
    const missingIds = [...oracle.keys()].filter((id) => !seen.has(id));
    const unexpectedIds = [...seen.keys()].filter((id) => !oracle.has(id));
    const contentMismatches = [...seen].filter(([id, email]) => oracle.has(id) && oracle.get(id) !== email).map(([id]) => id);
    return {
      partitionKeys,
      pendingUploads,
      rows: rows.length,
      uniqueIds: seen.size,
      missingIds: missingIds.slice(0, 10),
      unexpectedIds: unexpectedIds.slice(0, 10),
      contentMismatches: contentMismatches.slice(0, 10),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Every object in the partition (the "directory") of `key`. */
export async function keysInPartition(client: S3Client, bucket: string, key: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: partitionOf(key) }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function countPendingUploads(client: S3Client, bucket: string): Promise<number | 'unsupported'> {
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (listed.Uploads ?? []).length;
  } catch {
    return 'unsupported';
  }
}
