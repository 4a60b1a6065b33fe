/** A source of uniformly distributed numbers in [0, 1). */
export type Random = () => number;

/** Wall-entropy randomness for production runs. */
export const realRandom: Random = () => Math.random();

/** A fast, seedable PRNG (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
