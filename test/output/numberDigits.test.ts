import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMERIC, numberDigitsSql } from '../../src/output/numberDigits.js';
import { inMemoryDuckdb } from '../support/inMemoryDuckdb.js';

const numeric = /^-?([0-9]+)(?:\.([0-9]+))?([eE][-+]?[0-9]+)?$/;

/** What the three aggregates must say of `texts`: the most fraction and integer digits of the numeric ones, and whether one has an exponent. */
function expected(texts: readonly (string | null)[]): [number, number, boolean] {
  let [fraction, integer, exponent] = [0, 0, false];
  for (const text of texts) {
    const m = text === null ? null : numeric.exec(text);
    if (m === null) continue;
    fraction = Math.max(fraction, m[2]?.length ?? 0);
    integer = Math.max(integer, m[1]!.length);
    exponent ||= m[3] !== undefined;
  }
  return [fraction, integer, exponent];
}

const literal = (text: string | null): string => (text === null ? 'NULL' : `'${text.replaceAll("'", "''")}'`);

describe('numberDigitsSql', () => {
  const connection = inMemoryDuckdb();

  const digitsOf = async (texts: readonly (string | null)[], filtered: boolean): Promise<unknown[]> => {
    const values =
      texts.length === 0
        ? '(SELECT NULL::VARCHAR AS x WHERE false)'
        : `(VALUES ${texts.map((t) => `(${literal(t)}::VARCHAR)`).join(', ')}) v(x)`;
    const sql = `SELECT ${numberDigitsSql('x', filtered ? 'm' : undefined)} FROM (SELECT x, regexp_full_match(x, ${NUMERIC}) AS m FROM ${values})`;
    return (await connection().runAndReadAll(sql)).getRows()[0]!.map((v) => (typeof v === 'bigint' ? Number(v) : v));
  };

  const digits = fc.stringMatching(/^[0-9]{1,25}$/);
  const numberText = fc
    .tuple(
      fc.boolean(),
      digits,
      fc.option(digits, { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits), { nil: undefined }),
    )
    .map(
      ([minus, integer, fraction, exponent]) =>
        `${minus ? '-' : ''}${integer}${fraction === undefined ? '' : `.${fraction}`}${exponent === undefined ? '' : exponent.join('')}`,
    );
  // Texts that are not numbers but hold their characters: a point, an `e`, a sign where they do not belong.
  const notNumber = fc.string({ unit: fc.constantFrom(...'0123456789.-+eE x'), maxLength: 12 });

  it('counts the fraction digits, the integer digits and any exponent of the numbers among texts, as a regular expression reads them', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(numberText, notNumber, fc.constant(null)), { maxLength: 20 }), async (texts) => {
        expect(await digitsOf(texts, true)).toEqual(expected(texts));
      }),
      { numRuns: 200 },
    );
  });

  it("reads JSON's number texts unfiltered", async () => {
    const json = fc
      .oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }))
      .map(String);
    await fc.assert(
      fc.asyncProperty(fc.array(json, { maxLength: 20 }), async (texts) => {
        expect(await digitsOf(texts, false)).toEqual(expected(texts));
      }),
      { numRuns: 200 },
    );
  });

  it('says nothing of no numbers', async () => {
    expect(await digitsOf([], true)).toEqual([0, 0, false]);
    expect(await digitsOf(['1.5.5', '-', 'e5', '.5', '5.', ' 5', null], true)).toEqual([0, 0, false]);
    expect(await digitsOf(['-0012.500e+7', '3'], true)).toEqual([3, 4, true]);
  });
});
