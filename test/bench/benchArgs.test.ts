import { describe, expect, it } from 'vitest';
import { benchNames, fullSizes, parseBenchArgs, quickSizes } from './benchArgs.js';

describe('parseBenchArgs', () => {
  it('runs every benchmark at the full sizes by default', () => {
    expect(parseBenchArgs([])).toEqual({ only: benchNames, sizes: fullSizes, quick: false });
  });

  it('--quick switches to the small sizes unless --sizes is given', () => {
    expect(parseBenchArgs(['--quick']).sizes).toEqual(quickSizes);
    expect(parseBenchArgs(['--quick', '--sizes', '2000']).sizes).toEqual([2000]);
  });

  it('reads --only and --sizes in both spellings, sizes ascending and unique', () => {
    expect(parseBenchArgs(['--only', 'memory', '--only=stream', '--sizes=10_000_000,100000,100000'])).toEqual({
      only: ['memory', 'stream'],
      sizes: [100_000, 10_000_000],
      quick: false,
    });
    expect(parseBenchArgs(['--only', 'speed,stream']).only).toEqual(['speed', 'stream']);
  });

  it.each([
    [['--only', 'cpu'], /--only: unknown benchmark cpu/],
    [['--sizes', '10,-5'], /--sizes: expected positive whole numbers/],
    [['--sizes', '1.5'], /--sizes/],
    [['--sizes'], /--sizes needs a value/],
    [['--fast'], /unknown flag --fast/],
  ])('refuses %j with an error naming the flag', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
