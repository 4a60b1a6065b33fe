import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBase64, crc32cCombine } from '../../src/checksum/crc32c.js';
import { fileChecksums } from '../../src/output/index.js';

describe('crc32c', () => {
  it('matches the published check values (RFC 3720 B.4 and the CRC catalogue)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32cBase64(0xe3069283)).toBe('4waSgw==');
  });

  it('gives what the bitwise definition gives, at any length and offset', () => {
    const bitwise = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat(7), (bytes, offset) => {
        const view = bytes.subarray(Math.min(offset, bytes.length));
        expect(crc32c(view)).toBe(bitwise(view));
      }),
    );
  });

  it('gives the same value fed in chunks as in one piece', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc32c(bytes.subarray(at), crc32c(bytes.subarray(0, at)))).toBe(crc32c(bytes));
      }),
    );
  });

  it("combines two pieces' values into the value of both, without reading them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        expect(crc32cCombine(crc32c(a), crc32c(b), b.length)).toBe(crc32c(Buffer.concat([a, b])));
      }),
    );
    // A part of 5 MiB and a few bytes, as an upload makes them.
    const part = Buffer.alloc(5 * 1024 * 1024 + 3, 0x5a);
    expect(crc32cCombine(crc32c(Buffer.from('head')), crc32c(part), part.length)).toBe(crc32c(Buffer.concat([Buffer.from('head'), part])));
  });

  it('combines lengths up to many GiB consistently (associative), and refuses a length that is no byte count', () => {
    const length = fc.integer({ min: 0, max: 64 * 1024 ** 3 });
    const crc = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(crc, crc, crc, length, length, (a, b, c, m, n) => {
        expect(crc32cCombine(crc32cCombine(a, b, m), c, n)).toBe(crc32cCombine(a, crc32cCombine(b, c, n), m + n));
      }),
    );
    expect(() => crc32cCombine(1, 2, -1)).toThrow(RangeError);
    expect(() => crc32cCombine(1, 2, 1.5)).toThrow(RangeError);
  });

  it('fileChecksums streams a file to the same SHA-256 as node:crypto and the same CRC-32C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sums-'));
    try {
      const data = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
      const path = join(dir, 'f.bin');
      writeFileSync(path, data);
      const sums = await fileChecksums(path);
      expect(sums.bytes).toBe(data.length);
      expect(sums.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(sums.crc32c).toBe(crc32cBase64(crc32c(data)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
