/**
 * The exact source text of each element of the array at `path` (dotted) in a JSON document,
 * so that staging keeps what the API sent byte for byte: `JSON.parse` would round integers
 * beyond 2^53. The document must already be known to be valid JSON (parse it first).
 * Returns undefined when the path does not lead to an array.
 */
export function rawJsonArray(text: string, path: string): string[] | undefined {
  const keys = path === '' || path === '$' ? [] : path.split('.');
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const skipString = (): void => {
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const readKey = (): string => {
    const start = i;
    skipString();
    return JSON.parse(text.slice(start, i)) as string;
  };
  /** Skips one value of any kind, nested containers included. */
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      do {
        const d = text[i];
        if (d === '"') {
          skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        i++;
      } while (depth > 0);
      return;
    }
    while (i < text.length && !',}] \n\r\t'.includes(text[i]!)) i++;
  };

  for (const key of keys) {
    ws();
    if (text[i] !== '{') return undefined;
    i++;
    let found = false;
    for (;;) {
      ws();
      if (text[i] === '}') return undefined;
      const name = readKey();
      ws();
      i++; // colon
      if (name === key) {
        found = true;
        break;
      }
      skipValue();
      ws();
      if (text[i] === ',') i++;
    }
    if (!found) return undefined;
  }
  ws();
  if (text[i] !== '[') return undefined;
  i++;
  const items: string[] = [];
  for (;;) {
    ws();
    if (text[i] === ']') return items;
    const start = i;
    skipValue();
    items.push(text.slice(start, i));
    ws();
    if (text[i] === ',') i++;
  }
}
