import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import type { SimResponse } from '../../src/simulator/index.js';
import { checkRetryAfter, checkTokens, clientOutcome } from './checks.js';
import type { LoggedRequest } from './requestLog.js';

/** A logged request built by hand: the campaign's checks must catch what they claim to. */
function logged(id: number, fields: Partial<LoggedRequest> & { status?: number; headers?: Record<string, string> }): LoggedRequest {
  const { status, headers = {}, ...rest } = fields;
  const response: SimResponse = { status: status ?? 200, headers, body: '{}', delayMs: 0, delivery: { mode: 'normal' } };
  return {
    id,
    path: '/customers',
    page: 1,
    sentAt: 0,
    sentSeq: id * 2,
    token: undefined,
    fate: 'body',
    sim: { request: { method: 'GET', path: '/customers', query: {}, headers: {}, body: '' }, response, at: 0 },
    ...rest,
  };
}

describe('the campaign checks', () => {
  it('reliability row 3: flag a request sent before the Retry-After of a 429 had elapsed, but not one already in flight', () => {
    const given = logged(0, { status: 429, headers: { 'retry-after': '2' }, receivedAt: 1000, receivedSeq: 3 });
    const inFlight = logged(1, { sentAt: 500, sentSeq: 2, page: 2 });
    const early = logged(2, { sentAt: 2999, sentSeq: 5, page: 3 });
    const onTime = logged(3, { sentAt: 3000, sentSeq: 7, page: 1 });
    expect(checkRetryAfter([given, inFlight, onTime], 0)).toEqual([]);
    expect(checkRetryAfter([given, inFlight, early], 0)).toEqual([
      expect.stringContaining('request 2 (/customers page 3) sent at +2999 ms'),
    ]);
  });

  it('reliability row 2: a 503 Retry-After holds back its own page only', () => {
    const given = logged(0, { status: 503, headers: { 'retry-after': '3' }, receivedAt: 0, receivedSeq: 1 });
    expect(checkRetryAfter([given, logged(1, { sentAt: 100, page: 2 })], 0)).toEqual([]);
    expect(checkRetryAfter([given, logged(1, { sentAt: 100, page: 1 })], 0)).toHaveLength(1);
  });

  it('reliability row 6: flag a token sent again after a 401 for it, or past the lifetime it was given', () => {
    const login = { ...logged(0, { path: '/login', receivedAt: 0, receivedSeq: 1 }), issued: { value: 't1', expiresInMs: 5000 } };
    const token = { value: 't1', expMs: 5000 };
    const refused = logged(1, { token, sentAt: 5000, status: 401, receivedAt: 5010, receivedSeq: 4 });
    const concurrent = logged(2, { token, sentAt: 4000, sentSeq: 3 });
    const again = logged(3, { token, sentAt: 5020, sentSeq: 6 });
    expect(checkTokens([login, concurrent], 0)).toEqual([]);
    expect(checkTokens([login, refused], 0)).toEqual([expect.stringContaining('whose lifetime (5000 ms from +0 ms) had passed')]);
    expect(checkTokens([login, concurrent, refused, again], 0)).toContainEqual(
      expect.stringContaining('request 3 (page 1) sent at +5020 ms with a token already refused (401) to request 1'),
    );
  });

  it('counts a request the way the page stream does: deadline = timeout, run end = not counted, reset = network', () => {
    expect(clientOutcome(logged(0, { abortReason: new TimeoutError('late', 10) }))).toBe('timeout');
    expect(clientOutcome(logged(0, { abortReason: new Error('run failed') }))).toBeUndefined();
    expect(clientOutcome(logged(0, { fate: 'network' }))).toBe('network');
    expect(clientOutcome(logged(0, { status: 503 }))).toBe('503');
  });
});
