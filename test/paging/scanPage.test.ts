import { describe, expect, it, vi } from 'vitest';
import { paginatorSchema } from '../../src/config/sourceSpec.js';
import { scanPage, type Pagination } from '../../src/paging/pagination.js';

describe('scanPage', () => {
  const headers = new Headers();
  const cursor = paginatorSchema.parse({ type: 'cursor', nextCursorPath: 'meta.next' });

  it('reads the paginator fields from the body without its records, and parses nothing it does not read', () => {
    const body = '{"items":[{"id":"a1","meta":{"next":"inside"}},{"id":2}],"meta":{"next":"c2"}}';
    const page = scanPage({ paginator: cursor, records: 'items' }, body, headers, 'http://api.test/x', 'id');
    expect(page).toEqual({
      rawRecords: ['{"id":"a1","meta":{"next":"inside"}}', '{"id":2}'],
      keys: ['a1', '2'],
      longNumbers: false,
      facts: expect.objectContaining({ count: 2, next: 'c2' }),
    });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const link = scanPage(
        { paginator: paginatorSchema.parse({ type: 'link' }), records: '$' },
        '[{"id":1}]',
        new Headers({ link: '<http://api.test/x?p=2>; rel="next"' }),
        'http://api.test/x',
        'id',
      );
      expect(link.facts).toMatchObject({ count: 1, next: 'http://api.test/x?p=2' });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('reads a field among the records (all of them when the records are the body) from the whole body, as JSON.parse would', () => {
    const nextUrl = (path: string): Pagination['paginator'] => paginatorSchema.parse({ type: 'nextUrl', nextUrlPath: path });
    const read = (records: string, path: string, body: string): unknown =>
      scanPage({ paginator: nextUrl(path), records }, body, headers, 'http://api.test/x', 'id').facts.next;
    expect(read('$', '1.next', '[{"id":1},{"next":"/p2"}]')).toBe('http://api.test/p2');
    expect(read('data', 'data.1.next', '{"data":[{"id":1},{"next":"/p2"}],"next":"/other"}')).toBe('http://api.test/p2');
    expect(read('data', 'next', '{"data":[{"id":1},{"next":"/p2"}],"next":"/other"}')).toBe('http://api.test/other');
  });

  it('tells a body that is not JSON from one without records, quoting neither', () => {
    const pagination = { paginator: cursor, records: 'items' };
    expect(() => scanPage(pagination, '{"items":[{"id":1,"secret":"s3cr3t"}', headers, 'http://api.test/x', 'id')).toThrow(
      /^the body is not JSON \(\d+ bytes/,
    );
    expect(() => scanPage(pagination, '{"items":{"secret":"s3cr3t"}}', headers, 'http://api.test/x', 'id')).toThrow(
      'the body has no array of records at "items"',
    );
    expect(() => scanPage({ paginator: cursor, records: '$' }, '{}', headers, 'http://api.test/x', 'id')).toThrow(
      'the body is not an array of records',
    );
  });

  it('hands over the refusal of each record under the limits it is given, and none without them', () => {
    const pagination = { paginator: cursor, records: 'items' };
    const body = '{"items":[{"id":1},{"id":2,"id":3},[[1]]],"meta":{"next":null,"next":"c2"}}';
    const limits = { maxRecordBytes: 1000, maxRecordDepth: 1, maxRecordKeys: 10 };
    expect(scanPage(pagination, body, headers, 'http://api.test/x', 'id', limits)).toMatchObject({
      keys: ['1', '3', null],
      refusals: [undefined, 'field name "id" appears twice in one object', 'record nested deeper than maxRecordDepth 1'],
      facts: { next: 'c2' },
    });
    expect(scanPage(pagination, body, headers, 'http://api.test/x', 'id')).not.toHaveProperty('refusals');
  });
});
