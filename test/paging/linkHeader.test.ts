import { describe, expect, it } from 'vitest';
import { findLink, parseLinkHeader } from '../../src/paging/linkHeader.js';

describe('parseLinkHeader (RFC 8288)', () => {
  it('parses several links with quoted and bare parameters', () => {
    const links = parseLinkHeader('<https://a.example/p?page=2>; rel="next", <https://a.example/p?page=9>; rel=last; title="end, really"');
    expect(links).toEqual([
      { uri: 'https://a.example/p?page=2', params: { rel: 'next' } },
      { uri: 'https://a.example/p?page=9', params: { rel: 'last', title: 'end, really' } },
    ]);
  });

  it('keeps commas and semicolons inside quotes, handles escapes, first parameter wins', () => {
    const links = parseLinkHeader('</x>; title="a; b, \\"c\\""; rel=next; rel=prev');
    expect(links).toEqual([{ uri: '/x', params: { title: 'a; b, "c"', rel: 'next' } }]);
  });

  it('takes parameters named like Object.prototype members (names are lower-cased) as any other', () => {
    const [link] = parseLinkHeader('</x>; constructor=a; __proto__=b; rel=next');
    expect(Object.entries(link!.params)).toEqual([
      ['constructor', 'a'],
      ['__proto__', 'b'],
      ['rel', 'next'],
    ]);
  });

  it('skips garbage and returns nothing for empty input', () => {
    expect(parseLinkHeader('')).toEqual([]);
    expect(parseLinkHeader(null)).toEqual([]);
    expect(parseLinkHeader('garbage, </ok>; rel=next')).toEqual([{ uri: '/ok', params: { rel: 'next' } }]);
  });
});

describe('findLink', () => {
  it('finds rel=next among space-separated, case-insensitive relations and resolves relative URIs', () => {
    const header = '</items?cursor=abc>; rel="prefetch NEXT", </items?cursor=zzz>; rel="prev"';
    expect(findLink(header, 'next', 'https://api.example/items?cursor=old')).toBe('https://api.example/items?cursor=abc');
    expect(findLink(header, 'last', 'https://api.example/')).toBeUndefined();
    expect(findLink(null, 'next', 'https://api.example/')).toBeUndefined();
  });
});
