/** Splits a GFM table row into cells, honouring `\|` escapes (test helper). */
export function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\' && i + 1 < inner.length) {
      current += c + inner[i + 1];
      i++;
    } else if (c === '|') {
      out.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current.trim());
  return out;
}

/** Every GFM table in the document, as arrays of row lines (header and separator included). */
export function tables(markdown: string): string[][] {
  const result: string[][] = [];
  let block: string[] = [];
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) block.push(line);
    else if (block.length > 0) {
      result.push(block);
      block = [];
    }
  }
  if (block.length > 0) result.push(block);
  return result;
}

/** The cells of the first table row whose first cell is `label`. */
export function row(markdown: string, label: string): string[] | undefined {
  for (const table of tables(markdown)) {
    for (const line of table) {
      const c = cells(line);
      if (c[0] === label) return c;
    }
  }
  return undefined;
}
