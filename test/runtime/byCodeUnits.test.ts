import { describe, expect, it } from 'vitest';
import { byCodeUnits } from '../../src/runtime/byCodeUnits.js';

describe('byCodeUnits', () => {
  it('orders by UTF-16 code units, whatever the locale: capitals first, accents after z, a surrogate pair before U+FFFF', () => {
    expect(['é', 'b', 'Z', 'a', '\uffff', '😀', 'ab', ''].sort(byCodeUnits)).toEqual(['', 'Z', 'a', 'ab', 'b', 'é', '😀', '\uffff']);
    expect(byCodeUnits('x', 'x')).toBe(0);
  });
});
