import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawJsonArray } from '../../src/paging/rawJsonArray.js';

describe('rawJsonArray', () => {
  it('returns the exact source text of each element, big integers and escapes intact', () => {
    const body =
      '{"metadata":{"page":1,"data":[0]}, "data" : [ {"id":9007199254740993,"s":"a\\"]}"} ,\n{"id":2,"n":[1,{"x":"}"}]}, null, "t" ] }';
    expect(rawJsonArray(body, 'data')).toEqual(['{"id":9007199254740993,"s":"a\\"]}"}', '{"id":2,"n":[1,{"x":"}"}]}', 'null', '"t"']);
  });

  it('ends a string at a quote after an even run of backslashes, not after an odd one', () => {
    const body = String.raw`{"data":[{"p":"C:\\"},{"q":"say \"hi\\\" \\\\"},"\\\\\\\"",true]}`;
    const raw = rawJsonArray(body, 'data');
    expect(raw).toEqual([String.raw`{"p":"C:\\"}`, String.raw`{"q":"say \"hi\\\" \\\\"}`, String.raw`"\\\\\\\""`, 'true']);
    expect(raw?.map((t) => JSON.parse(t) as unknown)).toEqual(JSON.parse(body).data);
  });

  it('follows a dotted path and reports a missing or non-array target', () => {
    expect(rawJsonArray('{"result":{"items":[1, 2.50]}}', 'result.items')).toEqual(['1', '2.50']);
    expect(rawJsonArray('[1,2]', '')).toEqual(['1', '2']);
    expect(rawJsonArray('{"result":{"items":{}}}', 'result.items')).toBeUndefined();
    expect(rawJsonArray('{"result":{}}', 'result.items')).toBeUndefined();
    expect(rawJsonArray('{"data":[]}', 'data')).toEqual([]);
  });

  it('agrees with JSON.parse on any JSON array of values (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.jsonValue(), (items, other) => {
        const body = JSON.stringify({ other, data: items }, null, 1);
        const raw = rawJsonArray(body, 'data');
        expect(raw?.map((t) => JSON.parse(t) as unknown)).toEqual(JSON.parse(body).data);
      }),
      { numRuns: 300 },
    );
  });
});
