import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RecordLimits } from '../../src/staging/recordCheck.js';
import { recordRefusal } from '../../src/staging/recordRefusal.js';

const limits: RecordLimits = { maxRecordBytes: 1_048_576, maxRecordDepth: 64, maxRecordKeys: 2000 };
const nested = (depth: number): string => `{"id":1,"d":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
const wide = (keys: number): string => `{${Array.from({ length: keys }, (_, i) => `"k${i}":{}`).join(',')}}`;

describe('recordRefusal', () => {
  it('passes ordinary records, their strings, escapes and paired surrogates untouched', () => {
    for (const ok of [
      '{"id":1,"name":"O\'Brien \\"x\\"","tags":["a","b"],"n":12345678901234567890}',
      '{"id":"{[","s":"}]:,\\\\","e":"\\ud83d\\ude00","u":"\\u00e9\\n\\t","k":{"*":1,"":2}}',
      '[]',
      '"text"',
      '{"a":{"b":{"c":[[[1]]]}}}',
    ])
      expect(recordRefusal(ok, limits), ok).toBeUndefined();
  });

  it('counts depth: exactly at the limit passes, one past is refused', () => {
    expect(recordRefusal(nested(64), limits)).toBeUndefined();
    expect(recordRefusal(nested(65), limits)).toBe('record nested deeper than maxRecordDepth 64');
    // Brackets inside strings are text, not nesting.
    expect(recordRefusal(`{"s":"${'['.repeat(100)}"}`, limits)).toBeUndefined();
  });

  it('counts keys over the whole record, nested ones included; keys only, not string values', () => {
    expect(recordRefusal(wide(2000), limits)).toBeUndefined();
    expect(recordRefusal(wide(2001), limits)).toBe('record with more than maxRecordKeys 2000 keys');
    expect(recordRefusal(`{"a":{"b":1},"c":[{"d":2}]}`, { ...limits, maxRecordKeys: 3 })).toBe(
      'record with more than maxRecordKeys 3 keys',
    );
    expect(recordRefusal(`{"a":["x","y","z"]}`, { ...limits, maxRecordKeys: 1 })).toBeUndefined();
    expect(recordRefusal(`{"a" : 1, "b"\n:2}`, { ...limits, maxRecordKeys: 1 })).toBe('record with more than maxRecordKeys 1 keys');
  });

  it('measures UTF-8 bytes, not UTF-16 units', () => {
    const text = `{"s":"${'é'.repeat(10)}"}`; // 8 ASCII bytes + 20
    expect(recordRefusal(text, { ...limits, maxRecordBytes: 28 })).toBeUndefined();
    expect(recordRefusal(text, { ...limits, maxRecordBytes: 27 })).toBe('record of 28 bytes is larger than maxRecordBytes 27');
  });

  it('refuses lone surrogate escapes, in values and names, high or low, at the end or before other text', () => {
    for (const [text, hex] of [
      ['{"s":"a\\ud800b"}', 'd800'],
      ['{"s":"\\ud800"}', 'd800'],
      ['{"s":"\\udc00x"}', 'dc00'],
      ['{"s":"\\ud800\\u0041"}', 'd800'],
      ['{"s":"\\ud800\\n"}', 'd800'],
      ['{"\\udfff":1}', 'dfff'],
      ['["\\ud83d\\ude00\\ud83d"]', 'd83d'],
    ] as const)
      expect(recordRefusal(text, limits), text).toBe(`lone surrogate escape \\u${hex} in a string`);
  });

  it('refuses a name twice in one object (JSON.parse keeps the last, DuckDB the first), not the same name in two objects', () => {
    expect(recordRefusal('{"id":1,"a":1,"a":2}', limits)).toBe('field name "a" appears twice in one object');
    expect(recordRefusal('{"id":1,"o":{"é":1,"\\u00e9":2}}', limits)).toBe('field name "é" appears twice in one object');
    expect(recordRefusal('{"id":1,"o":{"a":1},"p":{"a":{"a":2}},"a":[{"a":3},{"a":4}]}', limits)).toBeUndefined();
  });

  it('refuses top-level field names no column can carry, and control characters in any name', () => {
    expect(recordRefusal('{"id":1,"":2}', limits)).toBe('field name "" cannot be a column');
    expect(recordRefusal('{"id":1,"*":2}', limits)).toBe('field name "*" cannot be a column');
    expect(recordRefusal('{"id":1,"a\\u0000b":2}', limits)).toBe('field name "a\\u0000b" holds a control character');
    expect(recordRefusal('{"id":1,"o":{"\\n":2}}', limits)).toBe('field name "\\n" holds a control character');
    expect(recordRefusal('{"id":1,"\\t":2}', limits)).toBe('field name "\\t" holds a control character');
    // A value may hold any of them; a nested "" or "*" is a struct field, not a column.
    expect(recordRefusal('{"id":1,"s":"","t":"*","u":"\\u0000","o":{"":1,"*":2}}', limits)).toBeUndefined();
  });

  it('refuses exactly the records with a poison name or a lone surrogate, whatever their strings hold (property)', () => {
    // Characters that matter to the scan: quotes and backslashes (escaped by JSON.stringify), control
    // characters, lone and paired surrogates, non-ASCII, and the names no column can carry.
    const text = fc
      .array(fc.constantFrom('a', 'Z', '"', '\\', '/', '\u0001', '\n', '\ud800', '\udc00', '\ud83d\ude00', 'é', ' ', '*', ':', '{', ']'), {
        maxLength: 6,
      })
      .map((parts) => parts.join(''));
    const value = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(text, tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    const loneSurrogate = (s: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
    const problems = (v: unknown, top: boolean, found: string[]): string[] => {
      if (typeof v === 'string' && loneSurrogate(v)) found.push('lone surrogate');
      if (Array.isArray(v)) for (const item of v) problems(item, false, found);
      else if (typeof v === 'object' && v !== null)
        for (const [k, item] of Object.entries(v)) {
          if (loneSurrogate(k)) found.push('lone surrogate');
          if (top && (k === '' || k === '*')) found.push('cannot be a column');
          // eslint-disable-next-line no-control-regex -- control characters are what it looks for
          if (/[\u0000-\u001f]/.test(k)) found.push('holds a control character');
          problems(item, false, found);
        }
      return found;
    };
    fc.assert(
      fc.property(fc.dictionary(text, value, { maxKeys: 5 }), (record) => {
        const expected = problems(record, true, []);
        const refusal = recordRefusal(JSON.stringify(record), limits);
        if (expected.length === 0) expect(refusal).toBeUndefined();
        else expect(expected.some((reason) => refusal?.includes(reason))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('scans a record nested 100,000 deep and one with 10,000 keys fast, without recursion, holding on the heap what the limits bound', () => {
    const deep = nested(100_000);
    const many = wide(10_000);
    // Flattened first: a concatenated string is copied flat on its first read (200 KB for the deep one), which is not the scan's.
    for (const text of [deep, many]) text.charCodeAt(0);
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    expect(recordRefusal(deep, limits)).toBe('record nested deeper than maxRecordDepth 64');
    expect(recordRefusal(many, limits)).toBe('record with more than maxRecordKeys 2000 keys');
    // What the scan holds on the heap stops growing at the limits, whatever the record: a parse of the two takes 6.5 MB
    // (100,000 arrays, 10,000 keys), the scan well under 1 MB (the names of 2,000 keys; its stack of open containers is a
    // byte a level, off the heap).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1024 * 1024);
    // Past any limit, the whole of them is scanned as fast.
    expect(recordRefusal(deep, { ...limits, maxRecordDepth: 1_000_000 })).toBeUndefined();
    expect(recordRefusal(many, { ...limits, maxRecordKeys: 1_000_000 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
  });
});
