import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPath } from '../../src/config/dottedPath.js';
import { scanRecords } from '../../src/staging/scanRecords.js';
import { recordKey } from '../../src/staging/recordKey.js';
import { recordRefusal } from '../../src/staging/recordRefusal.js';

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

/** Whether `value`, as JSON.stringify writes it, holds a number of 16 characters or more. */
const hasLongNumber = (value: unknown): boolean =>
  typeof value === 'number'
    ? JSON.stringify(value).length >= 16
    : typeof value === 'object' && value !== null && Object.values(value).some(hasLongNumber);

describe('scanRecords', () => {
  it('returns the exact source text of each element, big integers and escapes intact', () => {
    const body =
      '{"metadata":{"page":1,"data":[0]}, "data" : [ {"id":9007199254740993,"s":"a\\"]}"} ,\n{"id":2,"n":[1,{"x":"}"}]}, null, "t" ] }';
    const scanned = scanRecords(body, 'data', 'id');
    expect(scanned?.records).toEqual(['{"id":9007199254740993,"s":"a\\"]}"}', '{"id":2,"n":[1,{"x":"}"}]}', 'null', '"t"']);
    expect(scanned?.keys).toEqual([null, '2', null, null]);
    expect(scanned?.envelope).toBe('{"metadata":{"page":1,"data":[0]}, "data" : [] }');
  });

  it('notes a number of 16 characters or more, the length of an integer beyond 2^53, wherever it is', () => {
    const long = (body: string): boolean | undefined => scanRecords(body, 'data', 'id')?.longNumbers;
    expect(long('{"data":[{"id":1,"v":9007199254740993}]}')).toBe(true);
    expect(long('{"data":[{"id":1,"v":{"w":[-123456789012345]}}]}')).toBe(true);
    expect(long('{"data":[{"id":1,"v":0.12345678901234}]}')).toBe(true);
    expect(long('{"total":1234567890123456,"data":[]}')).toBe(true);
    expect(long('{"data":[{"id":1,"v":123456789012345,"s":"12345678901234567890"}]}')).toBe(false);
    expect(long('{"data":[{"id":1,"v":-12345678901234,"w":1.5e300}]}')).toBe(false);
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
        expect(scanRecords(body, 'page.data', 'id')?.longNumbers).toBe(hasLongNumber(JSON.parse(body)));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the key of any number as recordKey reads it parsed, whatever its spelling (property)', () => {
    const spelling = fc.oneof(
      fc.integer().map(String),
      fc.maxSafeInteger().map(String),
      fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
      fc.constantFrom('0', '-0', '0.0', '1.0', '1e3', '1E+2', '-1e-2', '123456789012345', '1234567890123456', '-999999999999999'),
    );
    fc.assert(
      fc.property(spelling, (number) => {
        const body = `[{"id":${number}}]`;
        expect(scanRecords(body, '$', 'id')?.keys).toEqual([recordKey(JSON.parse(body)[0], 'id')]);
      }),
      { numRuns: 500 },
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

  it('reads a text as one record with a null path', () => {
    expect(scanRecords(' {"id":1,"a":[2]} ', null, 'id')).toMatchObject({ records: ['{"id":1,"a":[2]}'], keys: ['1'] });
    expect(scanRecords('"x"', null, 'id')?.records).toEqual(['"x"']);
    expect(scanRecords('{"id":1', null, 'id')).toBeUndefined();
  });

  it('checks each record against the limits from its own container, whatever lies around it', () => {
    const limits = { maxRecordBytes: 30, maxRecordDepth: 2, maxRecordKeys: 3 };
    // Around the records: a lone surrogate, a name twice, an empty name, 4 levels; none of them a record's.
    const body = '{"x":"\\ud800","x":{"":[[[{"a":[{"data":1}]}]]]},"r":[0,{"results":{"items":[';
    const items = [
      '{"a":[1]}',
      '{"a":[[1]]}',
      '{"a":1,"b":2,"c":3}',
      '{"a":1,"b":{"c":1,"d":2}}',
      '"\\udc00"',
      '{"*":1}',
      '{"":1}',
      '{"a":"xxxxxxxxxxxxxxxxxxxxxxx"}',
    ];
    const scanned = scanRecords(`${body}${items.join(',')}]}}]}`, 'r.1.results.items', 'id', limits);
    expect(scanned?.refusals).toEqual([
      undefined,
      'record nested deeper than maxRecordDepth 2',
      undefined,
      'record with more than maxRecordKeys 3 keys',
      'lone surrogate escape \\udc00 in a string',
      'field name "*" cannot be a column',
      'field name "" cannot be a column',
      'record of 31 bytes is larger than maxRecordBytes 30',
    ]);
    expect(scanRecords('{"r":[{"id":1}]}', 'r', 'id')).not.toHaveProperty('refusals');
  });

  it('refuses a record of a page exactly when it is refused on its own (property)', () => {
    const name = fc.constantFrom('"a"', '"b"', '"\\u0061"', '""', '"*"', '"\\n"', '"\\ud800"', '"\\ud83d\\ude00"', '"id"');
    const value = fc.letrec<{ value: string }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom('1', '"\\udc00x"', '"\\ud800\\u0041"', '"ok"', 'null', '12345678901234567890'),
        fc.array(tie('value'), { maxLength: 3 }).map((values) => `[${values.join(',')}]`),
        fc.array(fc.tuple(name, tie('value')), { maxLength: 4 }).map((fields) => `{${fields.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
      ),
    })).value;
    const limits = fc.record({
      maxRecordBytes: fc.integer({ min: 1, max: 200 }),
      maxRecordDepth: fc.integer({ min: 1, max: 5 }),
      maxRecordKeys: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 4 }), value, limits, (records, around, bounds) => {
        const scanned = scanRecords(`{"a":${around},"page":{"data":[${records.join(' , ')}]},"b":${around}}`, 'page.data', 'id', bounds);
        expect(scanned?.records).toEqual(records);
        expect(scanned?.refusals).toEqual(records.map((record) => recordRefusal(record, bounds)));
      }),
      { numRuns: 2000 },
    );
  });
});
