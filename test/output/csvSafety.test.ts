import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeCsvCell, unescapeCsvCell } from '../../src/output/index.js';

describe('CSV formula safety', () => {
  it('prefixes a quote to cells a spreadsheet would run as a formula, and to cells that start with a quote', () => {
    for (const cell of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx', "'already"]) expect(escapeCsvCell(cell)).toBe(`'${cell}`);
    for (const cell of ['plain', ' =not first', '', '1-2', 'a=b']) expect(escapeCsvCell(cell)).toBe(cell);
  });

  it('is reversible and never leaves a dangerous first character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii' }), fc.constantFrom('', '=', '+', '-', '@', '\t', '\r', "'"), (tail, lead) => {
        const value = lead + tail;
        const escaped = escapeCsvCell(value);
        expect(unescapeCsvCell(escaped)).toBe(value);
        expect(/^[=+\-@\t\r]/.test(escaped)).toBe(false);
      }),
    );
  });
});
