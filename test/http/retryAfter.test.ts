import { describe, expect, it } from 'vitest';
import { parseRateLimitReset, parseRetryAfter } from '../../src/http/retryAfter.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it.each([
    ['seconds', '5', 5000],
    ['zero seconds', '0', 0],
    ['seconds with spaces', ' 120 ', 120_000],
    ['an HTTP-date 30 s ahead of the clock', new Date(now + 30_000).toUTCString(), 30_000],
    ['an HTTP-date in the past (no wait)', new Date(now - 60_000).toUTCString(), 0],
    ['an HTTP-date an hour ahead', 'Thu, 01 Jan 2026 13:00:00 GMT', 3600_000],
  ])('reads %s', (_, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    ['garbage', 'soon'],
    ['negative', '-5'],
    ['fraction', '1.5'],
    ['empty', ''],
    ['a bare date', '2026-01-01'],
    ['missing', null],
  ])('rejects %s', (_, value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('is relative to the injected clock, not the wall clock', () => {
    const date = 'Thu, 01 Jan 2026 12:00:10 GMT';
    expect(parseRetryAfter(date, now)).toBe(10_000);
    expect(parseRetryAfter(date, now + 4000)).toBe(6000);
  });
});

describe('parseRateLimitReset', () => {
  it('reads delta-seconds and refuses anything else', () => {
    expect(parseRateLimitReset('3')).toBe(3000);
    expect(parseRateLimitReset('0.5')).toBe(500);
    expect(parseRateLimitReset('x')).toBeUndefined();
    expect(parseRateLimitReset(null)).toBeUndefined();
  });
});
