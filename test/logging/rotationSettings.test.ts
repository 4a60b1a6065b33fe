import { describe, expect, it } from 'vitest';
import { parseLogSize, rotationInterval, rotationSettings } from '../../src/logging/rotationSettings.js';

describe('rotationSettings', () => {
  it.each([
    [2048, 2048],
    ['2048', 2048],
    ['2048b', 2048],
    ['2048B', 2048],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['512kb', 512 * 1024],
    ['10m', 10 * 1024 ** 2],
    ['10M', 10 * 1024 ** 2],
    ['10MB', 10 * 1024 ** 2],
    ['1.5m', 1.5 * 1024 ** 2],
    ['1g', 1024 ** 3],
  ] as const)('reads size %s as %d bytes (pino-roll and rotating-file-stream forms)', (size, bytes) => {
    expect(parseLogSize(size)).toBe(bytes);
  });

  it.each([0, -1, 1.5, '', 'ten', '10x', '10 mb extra', '0k', '-5m'])('rejects size %j', (size) => {
    expect(parseLogSize(size)).toBeUndefined();
  });

  it.each([
    [undefined, '1d'],
    ['daily', '1d'],
    ['hourly', '1h'],
    [false, undefined],
    [2 * 86_400_000, '2d'],
    [6 * 3_600_000, '6h'],
    [15 * 60_000, '15m'],
    [60 * 60_000, '1h'],
    [30_000, '30s'],
  ] as const)('maps frequency %j to interval %j', (frequency, interval) => {
    expect(rotationInterval(frequency)).toBe(interval);
  });

  it.each([7 * 60_000, 5 * 3_600_000, 1_500, 0, -1000])('rejects frequency %j: not alignable to the clock', (frequency) => {
    expect(rotationInterval(frequency)).toBeInstanceOf(Error);
  });

  it('defaults to 10 MiB, daily, 7 kept', () => {
    expect(rotationSettings({})).toEqual({ size: `${10 * 1024 ** 2}B`, interval: '1d', keep: 7 });
  });

  it('lists every problem', () => {
    expect(rotationSettings({ size: 'big', frequency: 1_500, keep: 1.5 })).toEqual([
      expect.stringMatching(/^file\.size: .*"big"/),
      expect.stringMatching(/^file\.frequency: 1500 ms/),
      'file.keep: must be an integer ≥ 0',
    ]);
  });
});
