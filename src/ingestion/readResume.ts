import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { isOutputIntact, rejectsPathFor } from '../output/index.js';
import type { ResumePoint } from '../paging/pagePlanner.js';
import type { Delivery, ResumeState, WrittenFile } from '../run/runTypes.js';
import type { StagingStore } from '../staging/index.js';
import { storeChecksum } from './storeChecksum.js';

/** What an earlier attempt with this run id left: where paging resumes, and the steps not to do again. */
export interface RunResume {
  /** Undefined for a chained run that committed no page yet: it starts from the first page. */
  readonly point: ResumePoint | undefined;
  readonly state: ResumeState;
}

async function countLines(path: string): Promise<number> {
  try {
    await access(path);
  } catch {
    return 0;
  }
  let lines = 0;
  for await (const _ of createInterface({ input: createReadStream(path) })) lines++;
  return lines;
}

/** The rule rejects of a written file (its rejects file's lines less the keyless and refused records), and the file when there is one. */
async function rejectsOf(outputPath: string, aside: number): Promise<{ rejected: number; rejectsPath?: string }> {
  const rejectsPath = rejectsPathFor(outputPath);
  const lines = await countLines(rejectsPath);
  return lines > 0 ? { rejected: lines - aside, rejectsPath } : { rejected: 0 };
}

export async function readResume(config: ResolvedRunConfig, store: StagingStore): Promise<RunResume> {
  const committed = await store.committedPages();
  // Chained paging resumes after its last checkpoint; indexed paging skips the committed pages.
  const chained = ['cursor', 'link', 'nextUrl'].includes(config.resource.paginator.type);
  const checkpoint = chained ? await store.lastCheckpoint() : undefined;
  const point: ResumePoint | undefined = !chained
    ? { committedPages: committed }
    : checkpoint && { lastPage: checkpoint.page, nextCursor: checkpoint.nextCursor };
  const runState = await store.runState();
  const output = runState.output;
  const intact = output !== null && (await isOutputIntact(output));
  const counts = intact ? await store.counts() : undefined;
  const file: WrittenFile | undefined =
    intact && output && counts
      ? {
          format: output.format,
          path: output.path,
          bytes: output.bytes,
          rows: output.rows,
          sha256: output.sha256,
          checksum: storeChecksum(output, config.checksum),
          duplicatesDropped: counts.duplicates,
          // The rejects file holds the rule rejects, the records without a key and the refused ones.
          ...(await rejectsOf(output.path, counts.unkeyed + counts.refused)),
          withoutKey: counts.unkeyed,
          refused: counts.refused,
        }
      : undefined;
  // A finished run whose local file is gone is still delivered: never rewrite it (new bytes, new checksum).
  const delivery: Delivery | undefined =
    runState.status === 'finished' && runState.upload
      ? { uri: runState.upload.uri, status: 'alreadyDelivered', verifiedBy: 'checkpoint' }
      : undefined;
  return { point, state: { pagesStaged: committed.length, ...(file ? { file } : {}), ...(delivery ? { delivery } : {}) } };
}
