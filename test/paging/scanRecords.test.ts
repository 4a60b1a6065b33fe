import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { readPath } from '../../src/config/dottedPath.js';
import { paginatorSchema } from '../../src/config/sourceSpec.js';
import { scanPage, type Pagination } from '../../src/paging/pagination.js';
import { scanRecords } from '../../src/paging/scanRecords.js';
import { recordKey } from '../../src/staging/recordKey.js';

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** What JSON.parse says of `text` at `path`: the records re-read from their text must equal these, with recordKey's keys. */
function expectAgreesWithJsonParse(text: string, path: string, keyField = 'id'): void {
  const scanned = scanRecords(text, path, keyField);
  if (!parses(text)) {
    expect(scanned).toBeUndefined();
    return;
  }
  expect(scanned).toBeDefined();
  const json: unknown = JSON.parse(text);
  const records = readPath(json, path);
  if (!Array.isArray(records)) {
    expect(scanned!.records).toBeUndefined();
    return;
  }
  expect(scanned!.records?.map((t) => JSON.parse(t) as unknown)).toEqual(records);
  expect(scanned!.keys).toEqual(records.map((r) => recordKey(r, keyField)));
  if (path !== '$') expect(readPath(JSON.parse(scanned!.envelope), path)).toEqual([]);
}

describe('scanRecords', () => {
  it('returns the exact source text of each element, big integers and escapes intact', () => {
    const body =
      '{"metadata":{"page":1,"data":[0]}, "data" : [ {"id":9007199254740993,"s":"a\\"]}"} ,\n{"id":2,"n":[1,{"x":"}"}]}, null, "t" ] }';
    const scanned = scanRecords(body, 'data', 'id');
    expect(scanned?.records).toEqual(['{"id":9007199254740993,"s":"a\\"]}"}', '{"id":2,"n":[1,{"x":"}"}]}', 'null', '"t"']);
    expect(scanned?.keys).toEqual([null, '2', null, null]);
    expect(scanned?.envelope).toBe('{"metadata":{"page":1,"data":[0]}, "data" : [] }');
  });

  it('ends a string at a quote after an even run of backslashes, not after an odd one', () => {
    const body = String.raw`{"data":[{"p":"C:\\"},{"q":"say \"hi\\\" \\\\"},"\\\\\\\"",true]}`;
    const records = scanRecords(body, 'data', 'id')?.records;
    expect(records).toEqual([String.raw`{"p":"C:\\"}`, String.raw`{"q":"say \"hi\\\" \\\\"}`, String.raw`"\\\\\\\""`, 'true']);
    expect(records?.map((t) => JSON.parse(t) as unknown)).toEqual(JSON.parse(body).data);
  });

  it('follows a dotted path and reports a missing or non-array target', () => {
    expect(scanRecords('{"result":{"items":[1, 2.50]}}', 'result.items', 'id')?.records).toEqual(['1', '2.50']);
    expect(scanRecords(' [1,2] ', '$', 'id')?.records).toEqual(['1', '2']);
    expect(scanRecords('[1,2]', '', 'id')?.records).toEqual(['1', '2']);
    expect(scanRecords('{"result":{"items":{}}}', 'result.items', 'id')?.records).toBeUndefined();
    expect(scanRecords('{"result":{}}', 'result.items', 'id')?.records).toBeUndefined();
    expect(scanRecords('{"data":[]}', 'data', 'id')?.records).toEqual([]);
    expect(scanRecords('{"data":[[], {}, [[]]]}', 'data', 'id')?.records).toEqual(['[]', '{}', '[[]]']);
    expect(scanRecords('{"data":[1]}', '$', 'id')?.records).toBeUndefined();
  });

  it('follows an index into an array, as readPath does: 0, 1..., not 01 nor length', () => {
    const body = '{"results":[{"items":[0]},{"items":[{"id":1},2]}],"results2":[[3],[4,5]]}';
    expect(scanRecords(body, 'results.1.items', 'id')).toMatchObject({ records: ['{"id":1}', '2'], keys: ['1', null] });
    expect(scanRecords(body, 'results2.1', 'id')?.records).toEqual(['4', '5']);
    expect(scanRecords('[[1],[[2,3]]]', '1.0', 'id')?.records).toEqual(['2', '3']);
    for (const path of ['results.01.items', 'results.2.items', 'results.length', 'results.-1.items', '0'])
      expectAgreesWithJsonParse(body, path);
  });

  it('reads what JSON.parse reads when a name repeats: the last', () => {
    expect(scanRecords('{"data":[1],"data":[2,3]}', 'data', 'id')?.records).toEqual(['2', '3']);
    expect(scanRecords('{"data":[1],"data":null}', 'data', 'id')?.records).toBeUndefined();
    expect(scanRecords('{"a":{"b":[1]},"a":{"c":[2]}}', 'a.b', 'id')?.records).toBeUndefined();
    expect(scanRecords('{"data":[{"id":1,"id":"x"}]}', 'data', 'id')?.keys).toEqual(['x']);
    expect(scanRecords('{"d\\u0061ta":[{"\\u0069d":7}]}', 'data', 'id')?.keys).toEqual(['7']);
  });

  it('reads each key as recordKey reads the parsed record', () => {
    const values = [
      '1',
      '-0',
      '4001.0',
      '4.001e3',
      '9007199254740993',
      '1.5',
      '" a "',
      '"   "',
      '"\\u0041b"',
      'true',
      'null',
      '{"id":1}',
      '[1]',
    ];
    for (const value of values) expectAgreesWithJsonParse(`{"data":[{"x":{"id":0},"id":${value},"y":[{"id":2}]}]}`, 'data');
    expectAgreesWithJsonParse('{"data":[{"name":1}, 5, "id", [{"id":1}]]}', 'data');
  });

  it('accepts exactly the texts JSON.parse accepts', () => {
    const texts = [
      '',
      ' ',
      '[]',
      '[',
      ']',
      '[1,]',
      '[,1]',
      '[1 2]',
      '{"a":1,}',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '{"a":1}x',
      '01',
      '-',
      '-01',
      '1.',
      '.5',
      '1e',
      '1e+',
      '+1',
      '1E+5',
      '-0.0e-0',
      'tru',
      'nulll',
      'true false',
      '"a\tb"',
      '"a\nb"',
      '"\u0000"',
      '"\\x41"',
      '"\\u12"',
      '"\\u12G4"',
      '"\\ud800"',
      '"\\udc00\\ud800"',
      '"\ud800"',
      '"abc',
      '"abc\\"',
      '\t\n\r [ 1 ,\n2 ] \r\n',
      '\u00a0[]',
      '\ufeff[]',
      '[1]\u0000',
      '{"a":[}',
      '{"a":]}',
      '[{]',
      '{"a":{"b":[1,{"c":"}"}]}}',
    ];
    for (const text of texts) expectAgreesWithJsonParse(text, '$');
  });

  it('scans any depth without recursion: 100,000 nested arrays, closed or not', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(scanRecords(`{"data":[${deep}]}`, 'data', 'id')?.records).toEqual([deep]);
    expect(scanRecords(`{"data":[${deep.slice(0, -1)}]}`, 'data', 'id')).toBeUndefined();
  });

  it('agrees with JSON.parse on any JSON body, pretty or not (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.jsonValue(), fc.boolean(), (items, other, pretty) => {
        const body = JSON.stringify({ other, page: { data: items }, list: [other, items] }, null, pretty ? 1 : undefined);
        expectAgreesWithJsonParse(body, 'page.data');
        expectAgreesWithJsonParse(body, 'list.1');
        expectAgreesWithJsonParse(JSON.stringify(items), '$');
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with JSON.parse on texts one edit away from JSON (property)', () => {
    const alphabet = fc.constantFrom(...' \t\n{}[]":,\\/0123456789.eE+-tfnrulxa\u0000\u001f\u00e9'.split(''));
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), char: alphabet });
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (items, edits) => {
          let text = JSON.stringify({ data: items });
          for (const { at, kind, char } of edits) {
            const i = at % (text.length + 1);
            text =
              kind === 'insert'
                ? text.slice(0, i) + char + text.slice(i)
                : text.slice(0, i) + (kind === 'replace' ? char : '') + text.slice(i + 1);
          }
          expectAgreesWithJsonParse(text, 'data');
          expectAgreesWithJsonParse(text, '$');
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('scanPage', () => {
  const headers = new Headers();
  const cursor = paginatorSchema.parse({ type: 'cursor', nextCursorPath: 'meta.next' });

  it('reads the paginator fields from the body without its records, and parses nothing it does not read', () => {
    const body = '{"items":[{"id":"a1","meta":{"next":"inside"}},{"id":2}],"meta":{"next":"c2"}}';
    const page = scanPage({ paginator: cursor, records: 'items' }, body, headers, 'http://api.test/x', 'id');
    expect(page).toEqual({
      rawRecords: ['{"id":"a1","meta":{"next":"inside"}}', '{"id":2}'],
      keys: ['a1', '2'],
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
});
