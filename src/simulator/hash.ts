/** The murmur3 finaliser: spreads every input bit over the 32-bit output. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A 32-bit hash of integers (each up to 2^53, both halves folded in), so that everything the
 * simulator draws is a pure function of `(seed, id, stream)` and needs no stored state.
 */
export function hash32(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = fmix((h + 0x6d2b79f5) ^ (part >>> 0));
    h = fmix((h + 0x6d2b79f5) ^ Math.floor(part / 4294967296));
  }
  return h;
}

/** Streams keep independent draws apart (so, e.g., the dirty rate never changes clean fields). */
export const Stream = {
  customer: 1,
  customerDirty: 2,
  customerDuplicate: 3,
  order: 4,
  orderDirty: 5,
  orderDuplicate: 6,
  request: 7,
} as const;

/** A uniform number in [0, 1) from the hash of `parts`. */
export function unitHash(...parts: readonly number[]): number {
  return hash32(...parts) / 4294967296;
}
