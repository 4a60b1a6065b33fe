import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { ReportKeyPattern } from './objectKey.js';
import { sendOptions } from './sendOptions.js';

/** A stored report's key and when the store last wrote it. */
export interface StoredReport {
  readonly key: string;
  readonly lastModified: number;
}

/** The stored objects matching `where`, newest first. */
export async function listReportKeys(
  client: S3Client,
  bucket: string,
  where: ReportKeyPattern,
  signal?: AbortSignal,
): Promise<StoredReport[]> {
  const found: StoredReport[] = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: where.listPrefix }, sendOptions(signal))) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined && where.pattern.test(object.Key)) {
        found.push({ key: object.Key, lastModified: object.LastModified?.getTime() ?? 0 });
      }
    }
  }
  return found.sort((a, b) => b.lastModified - a.lastModified || (a.key < b.key ? 1 : -1));
}
