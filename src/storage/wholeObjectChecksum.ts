import type { S3Client } from '@aws-sdk/client-s3';

let installed = 0;

/**
 * Runs `work` while CompleteMultipartUpload requests for `bucket`/`key` carry the whole-object
 * CRC-32C, so a FULL_OBJECT store rejects a mismatch before the object becomes visible.
 * lib-storage copies its params into every part request, so the value cannot go in params
 * (each part would then claim the whole file's checksum); a scoped client middleware adds it to
 * the completion alone and is removed afterwards.
 */
export async function withWholeObjectCrc32c<T>(
  client: S3Client,
  target: Readonly<{ bucket: string; key: string; crc32c: string }>,
  work: () => Promise<T>,
): Promise<T> {
  installed += 1;
  const name = `ingestWholeObjectCrc32c${installed}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (context.commandName === 'CompleteMultipartUploadCommand' && input['Bucket'] === target.bucket && input['Key'] === target.key) {
        const withChecksum = { ...input, ChecksumCRC32C: target.crc32c, ChecksumType: 'FULL_OBJECT' } as typeof args.input;
        return next({ ...args, input: withChecksum });
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    return await work();
  } finally {
    client.middlewareStack.remove(name);
  }
}
