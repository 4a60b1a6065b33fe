import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, crc32cBytes } from '../../src/checksum/crc32c.js';
import { digestFile, expectedChecksum, partCount } from '../../src/storage/index.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { compareStoredChecksum, storedChecksums, verifyStoredObject } from '../../src/storage/verifyStoredObject.js';
import { tempDir, writeTestFile } from '../support/writeTestFile.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sha = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

describe('crc32c', () => {
  it.each([
    ['', 0x00000000],
    ['a', 0xc1d04330],
    ['123456789', 0xe3069283], // the CRC-32C check value
    ['The quick brown fox jumps over the lazy dog', 0x22620404],
  ])('crc32c(%j) = %s', (text, expected) => {
    expect(crc32c(Buffer.from(text))).toBe(expected);
  });

  it('matches the value S3 prints for "hello"', () => {
    expect(crc32cBytes(crc32c(Buffer.from('hello'))).toString('base64')).toBe('mnG7TA==');
  });

  it('is the same however the input is split (incremental = one shot)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const data = Buffer.from(bytes);
        const at = Math.min(cut, data.length);
        expect(crc32c(data.subarray(at), crc32c(data.subarray(0, at)))).toBe(crc32c(data));
      }),
    );
  });
});

describe('digestFile and expectedChecksum', () => {
  const partSize = 1000;

  it.each([
    [0, 1],
    [999, 1],
    [1000, 1], // exactly one part: one PUT, as uploadFile does
    [1001, 2],
    [3000, 3],
    [3001, 4],
  ])('%i bytes in parts of 1000 -> %i parts, with per-part digests of the right slices', async (bytes, parts) => {
    const file = await writeTestFile(dir, `f${bytes}.bin`, bytes, bytes + 1);
    const digest = await digestFile(file.path, partSize);
    expect(partCount(bytes, partSize)).toBe(parts);
    expect(digest.bytes).toBe(bytes);
    expect(digest.sha256Hex).toBe(sha(file.content).toString('hex'));
    expect(digest.crc32c).toBe(crc32cBytes(crc32c(file.content)).toString('base64'));
    if (parts > 1) {
      const slices = Array.from({ length: parts }, (_, i) => file.content.subarray(i * partSize, (i + 1) * partSize));
      expect(digest.partSha256).toEqual(slices.map(sha));
      expect(digest.partCrc32c).toEqual(slices.map((s) => crc32cBytes(crc32c(s))));
      // S3's composite: the checksum of the concatenated binary part checksums, then -N.
      expect(expectedChecksum(digest, 'SHA256', 'COMPOSITE', parts)).toBe(
        `${sha(Buffer.concat(slices.map(sha))).toString('base64')}-${parts}`,
      );
    }
    expect(expectedChecksum(digest, 'CRC32C', 'FULL_OBJECT')).toBe(digest.crc32c);
  });

  it('cannot rebuild a composite made with another part count, and says so instead of guessing', async () => {
    const file = await writeTestFile(dir, 'other-layout.bin', 2500, 9);
    const digest = await digestFile(file.path, partSize);
    expect(expectedChecksum(digest, 'CRC32C', 'COMPOSITE', 2)).toBeUndefined();
    expect(compareStoredChecksum({ algorithm: 'CRC32C', value: 'AAAAAA==-2', type: 'COMPOSITE', parts: 2 }, digest)).toBeUndefined();
    // A composite whose part count the store did not say: unknown, never a guess.
    expect(compareStoredChecksum({ algorithm: 'CRC32C', value: 'AAAAAA==', type: 'COMPOSITE' }, digest)).toBeUndefined();
  });

  it('reads the composite part count from the checksum suffix, else from the multipart ETag', () => {
    const head = {
      ChecksumSHA256: 'abc=',
      ChecksumType: 'COMPOSITE',
      ETag: '"d41d8cd98f00b204e9800998ecf8427e-3"',
      $metadata: {},
    } as const;
    expect(storedChecksums(head, 'SHA256')).toEqual([{ algorithm: 'SHA256', value: 'abc=', type: 'COMPOSITE', parts: 3 }]);
    expect(storedChecksums({ ...head, ChecksumSHA256: 'abc=-4' }, 'SHA256')[0]?.parts).toBe(4);
    expect(storedChecksums({ ...head, ETag: '"d41d8cd98f00b204e9800998ecf8427e"' }, 'SHA256')[0]?.parts).toBeUndefined();
    expect(storedChecksums({ ChecksumCRC32C: 'x==', ChecksumSHA256: 'y=', $metadata: {} }, 'SHA256').map((c) => c.algorithm)).toEqual([
      'SHA256',
      'CRC32C',
    ]);
  });

  it('compares stored checksums: equal, different, composite with and without its -N', async () => {
    const file = await writeTestFile(dir, 'cmp.bin', 2500, 10);
    const digest = await digestFile(file.path, partSize);
    const composite = expectedChecksum(digest, 'SHA256', 'COMPOSITE', 3) ?? '';
    expect(compareStoredChecksum({ algorithm: 'CRC32C', value: digest.crc32c, type: 'FULL_OBJECT' }, digest)).toBe(true);
    expect(compareStoredChecksum({ algorithm: 'CRC32C', value: 'AAAAAA==', type: 'FULL_OBJECT' }, digest)).toBe(false);
    expect(compareStoredChecksum({ algorithm: 'SHA256', value: composite, type: 'COMPOSITE', parts: 3 }, digest)).toBe(true);
    expect(compareStoredChecksum({ algorithm: 'SHA256', value: composite.replace(/-3$/, ''), type: 'COMPOSITE', parts: 3 }, digest)).toBe(
      true,
    );
    expect(compareStoredChecksum({ algorithm: 'SHA256', value: digest.sha256, type: 'COMPOSITE', parts: 3 }, digest)).toBe(false);
  });

  it('proves an object by its MD5 ETag, and stops hashing the local file when the signal is aborted', async () => {
    const file = await writeTestFile(dir, 'etag.bin', 3 * (1 << 20), 11);
    const digest = await digestFile(file.path, partSize);
    // The HEAD is given: the S3 client is never asked, so none is needed.
    const head = { $metadata: {}, ContentLength: digest.bytes, ETag: `"${createHash('md5').update(file.content).digest('hex')}"` };
    const verify = (signal?: AbortSignal): ReturnType<typeof verifyStoredObject> =>
      verifyStoredObject(undefined as unknown as S3Client, 'b', 'k', { filePath: file.path, digest }, 'CRC32C', {
        head,
        ...(signal && { signal }),
      });
    await expect(verify()).resolves.toMatchObject({ match: true, by: 'serverEtag' });
    await expect(verify(AbortSignal.abort(new Error('stop requested')))).rejects.toThrow('stop requested');
  });
});
