/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as S3's `x-amz-checksum-crc32c` uses. */
const table = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continues a CRC-32C over `bytes`; start with `crc32cUpdate(0, ...)` and feed chunks in order. */
export function crc32cUpdate(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(bytes: Uint8Array): number {
  return crc32cUpdate(0, bytes);
}

/** The 4 big-endian bytes of a CRC in base64: the form S3 sends and expects. */
export function crc32cBase64(crc: number): string {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(crc >>> 0);
  return buf.toString('base64');
}
