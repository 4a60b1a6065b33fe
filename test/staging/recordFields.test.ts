import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeRecords, shapeGroupsSql } from '../../src/staging/recordFields.js';
import { jsonPath, sqlString } from '../../src/staging/sqlText.js';
import { inMemoryDuckdb } from '../support/inMemoryDuckdb.js';

const connection = inMemoryDuckdb();

/** What a column is inferred from (src/output/columnPlan.ts): a scalar type's name, or "not a scalar" (a JSON column). */
const scalars = new Set(['VARCHAR', 'NULL', 'BOOLEAN', 'UBIGINT', 'BIGINT', 'DOUBLE']);
const scalarOrNot = (v: unknown): unknown => (typeof v === 'string' && scalars.has(v) ? v : Array.isArray(v) ? 'an array' : 'not a scalar');
const topLevel = (structure: unknown): unknown =>
  typeof structure === 'object' && structure !== null && !Array.isArray(structure)
    ? Object.fromEntries(Object.entries(structure).map(([k, v]) => [k, scalarOrNot(v)]))
    : structure === undefined
      ? undefined
      : scalarOrNot(structure);

async function stage(records: readonly string[]): Promise<void> {
  await connection().run('CREATE OR REPLACE TABLE t (page INTEGER, seq INTEGER, record JSON)');
  if (records.length === 0) return;
  const rows = records.map((r, i) => `(${Math.floor(i / 7) + 1}, ${i % 7}, ${sqlString(r)})`);
  await connection().run(`INSERT INTO t VALUES ${rows.join(', ')}`);
}

/** What describeRecords stands for: over every record, the keys by first (page, seq, position) and json_group_structure. */
async function reference(): Promise<{ keys: string[]; structure: unknown; types: Map<string, Record<string, number>> }> {
  const keys = await connection().runAndReadAll(`SELECT k FROM (
      SELECT unnest(json_keys(record)) AS k, generate_subscripts(json_keys(record), 1) AS pos, page, seq FROM t
    ) GROUP BY k ORDER BY min(page::BIGINT * 1000000000000 + seq::BIGINT * 100000 + pos), k`);
  const text = (await connection().runAndReadAll('SELECT json_group_structure(record)::VARCHAR FROM t')).getRows()[0]?.[0];
  const names = keys.getRows().map(([k]) => String(k));
  const types = new Map<string, Record<string, number>>();
  for (const name of names) {
    const counted = (
      await connection().runAndReadAll(`SELECT histogram(json_type(record, ${jsonPath(name)}))::JSON::VARCHAR FROM t`)
    ).getRows();
    types.set(name, JSON.parse(String(counted[0]?.[0])) as Record<string, number>);
  }
  return { keys: names, structure: typeof text === 'string' ? (JSON.parse(text) as unknown) : undefined, types };
}

const scalar = fc.oneof(
  fc.integer(),
  fc.integer({ min: -1000, max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }).map((n) => ({ raw: n.toString() })),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('v'), { maxKeys: 3 }),
    fc.array(tie('v'), { maxLength: 3 }),
  ),
})).v;
/** JSON text, with `{ raw }` written as its digits (integers beyond 2^64). */
const text = (v: unknown): string =>
  v !== null && typeof v === 'object' && 'raw' in v
    ? String((v as { raw: string }).raw)
    : Array.isArray(v)
      ? `[${v.map(text).join(',')}]`
      : v !== null && typeof v === 'object'
        ? `{${Object.entries(v)
            .map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`)
            .join(',')}}`
        : JSON.stringify(v);
/** Few layouts and mostly one type per key, so that records share a top level and a group's first record differs from others. */
const layout = fc.constantFrom(['id', 'a'], ['id', 'a', 'b'], ['B', 'b', 'id']);
const usual = fc.oneof({ weight: 6, arbitrary: fc.nat({ max: 50 }) }, { weight: 1, arbitrary: scalar }, { weight: 1, arbitrary: value });
const record = fc.oneof(
  {
    weight: 8,
    arbitrary: layout.chain((keys) => fc.tuple(...keys.map(() => usual)).map((vs) => Object.fromEntries(keys.map((k, i) => [k, vs[i]])))),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('id', 'a', 'B', 'b', 'c'), value, { maxKeys: 5 }) },
  { weight: 1, arbitrary: value },
);

describe('describeRecords', () => {
  it('gives the keys in first-seen order and, at the top level, the structure of every record, from one record per top level', async () => {
    await fc.assert(
      // Some with leading whitespace: text that does not open with a brace is typed by parsing it.
      fc.asyncProperty(fc.array(fc.tuple(record, fc.constantFrom('', '', ' ', '\n')), { maxLength: 40 }), async (records) => {
        await stage(records.map(([r, space]) => space + text(r)));
        const shape = await describeRecords(connection(), 't');
        const expected = await reference();
        expect(shape.keys).toEqual(expected.keys);
        expect(topLevel(shape.structure)).toEqual(topLevel(expected.structure));
        expect(shape.types).toEqual(expected.types);
      }),
      { numRuns: 150 },
    );
  });

  it('describes the same with the groups of some records known, or of all: those counted, the rest read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 40 }), fc.nat({ max: 7 }), async (records, split) => {
        await stage(records.map(text));
        const whole = await describeRecords(connection(), 't');
        const part = await describeRecords(
          connection(),
          `(SELECT * FROM t WHERE page > ${split})`,
          shapeGroupsSql(`t WHERE page <= ${split}`),
        );
        expect(part).toEqual(whole);
        // Every group known: no record read.
        expect(await describeRecords(connection(), null, shapeGroupsSql('t'))).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('describes the structure at the top level only: below it, objects and arrays are empty', async () => {
    await stage(['{"id":1,"a":{"x":1}}', '{"id":2,"a":{"y":"s"}}', '{"id":3,"b":[true]}']);
    const shape = await describeRecords(connection(), 't');
    expect(shape.keys).toEqual(['id', 'a', 'b']);
    expect(shape.structure).toEqual({ id: 'UBIGINT', a: 'JSON', b: ['NULL'] });
    expect((await reference()).structure).toEqual({ id: 'UBIGINT', a: { x: 'UBIGINT', y: 'VARCHAR' }, b: ['BOOLEAN'] });
  });

  it('describes a record of 12 MiB under a memory limit of 256 MB', async () => {
    const limited = await DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '1' });
    const small = await limited.connect();
    try {
      await small.run('CREATE TABLE t (page INTEGER, seq INTEGER, record JSON)');
      await small.run(`INSERT INTO t VALUES (1, 0, '{"id":1}'), (1, 1, '{"id":2,"pad":"' || repeat('x', ${12 * 2 ** 20}) || '"}')`);
      // json_group_structure over the record itself ran out of memory at 244 MiB.
      expect((await describeRecords(small, 't')).structure).toEqual({ id: 'UBIGINT', pad: 'VARCHAR' });
    } finally {
      small.closeSync();
      limited.closeSync();
    }
  });

  it("counts a key's JSON types per record, a key twice in a record once with its first value, whatever its name", async () => {
    await stage(['{"id":1,"a":1,"a":"x","__proto__":null}', '{"id":2,"a":"y"}', '{"id":"3","__proto__":{}}']);
    const { types } = await describeRecords(connection(), 't');
    expect(types).toEqual(
      new Map([
        ['id', { UBIGINT: 2, VARCHAR: 1 }],
        ['a', { UBIGINT: 1, VARCHAR: 1 }],
        ['__proto__', { NULL: 1, OBJECT: 1 }],
      ]),
    );
    expect(types).toEqual((await reference()).types);
  });

  it('describes no records as no keys and no structure', async () => {
    await stage([]);
    expect(await describeRecords(connection(), 't')).toEqual({ keys: [], structure: undefined, types: new Map() });
  });
});
