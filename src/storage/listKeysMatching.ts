import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { KeyPattern } from './objectKey.js';
import { sendOptions } from './sendOptions.js';

/** A stored object's key and when the store last wrote it. */
export interface StoredKey {
  readonly key: string;
  readonly lastModified: number;
}

/** The stored objects matching `where`, newest first. */
export async function listKeysMatching(client: S3Client, bucket: string, where: KeyPattern, signal?: AbortSignal): Promise<StoredKey[]> {
  const found: StoredKey[] = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: where.listPrefix }, sendOptions(signal))) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined && where.pattern.test(object.Key)) {
        found.push({ key: object.Key, lastModified: object.LastModified?.getTime() ?? 0 });
      }
    }
  }
  return found.sort((a, b) => b.lastModified - a.lastModified || (a.key < b.key ? 1 : -1));
}
