import { describe, expect, it } from 'vitest';
import { classifyStatus } from '../../src/http/classify.js';
import { redactUrl } from '../../src/http/redactUrl.js';

describe('classifyStatus', () => {
  it.each([
    [200, 'ok'],
    [204, 'ok'],
    [408, 'transient'],
    [425, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [429, 'rateLimited'],
    [401, 'unauthorized'],
    [400, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [409, 'permanent'],
    [501, 'permanent'],
    [505, 'permanent'],
    [302, 'permanent'],
  ])('%i is %s', (status, verdict) => {
    expect(classifyStatus(status)).toBe(verdict);
  });
});

describe('redactUrl', () => {
  it('strips userinfo and secret-bearing query params, keeps the rest', () => {
    const out = redactUrl('https://user:pa55@api.example.com/customers?page=2&token=abc&API_KEY=k&key=s3cr&secret=x&password=p&limit=10');
    expect(out).toBe('https://api.example.com/customers?page=2&limit=10');
    for (const secret of ['pa55', 'abc', 's3cr', '=x', '=p', 'user']) expect(out).not.toContain(secret);
  });

  it('never throws on a bad URL', () => {
    expect(redactUrl('not a url')).toBe('<invalid url>');
  });
});
