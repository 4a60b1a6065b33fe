import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/cli/query.js';

describe('ingest query: the printed table', () => {
  it('prints any number of rows (no argument list that grows with them)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [i, `row ${i}`]);
    const text = renderTable({ columns: ['n', 'label'], rows });
    const lines = text.split('\n');
    expect(lines).toHaveLength(300_001);
    expect(lines[300_000]).toMatch(/^299999\s+row 299999$/);
  });
});
