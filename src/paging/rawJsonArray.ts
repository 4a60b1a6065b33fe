import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COMMA, isJsonSpace, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from '../staging/jsonChars.js';

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
    while (isJsonSpace(text.charCodeAt(i))) i++;
  };
  // Strings are skipped by searching for their closing quote (a native scan), not char by char:
  // on a page of records this scanner ran slower than JSON.parse over the same text.
  const skipString = (): void => {
    let end = text.indexOf('"', i + 1);
    while (escaped(text, end)) end = text.indexOf('"', end + 1);
    i = end + 1;
  };
  const readKey = (): string => {
    const start = i;
    skipString();
    return JSON.parse(text.slice(start, i)) as string;
  };
  /** Skips one value of any kind, nested containers included. */
  const skipValue = (): void => {
    ws();
    const c = text.charCodeAt(i);
    if (c === QUOTE) return skipString();
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      let depth = 0;
      do {
        const d = text.charCodeAt(i);
        if (d === QUOTE) {
          skipString();
          continue;
        }
        if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
        else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) depth--;
        i++;
      } while (depth > 0);
      return;
    }
    while (i < text.length && !endsScalar(text.charCodeAt(i))) i++;
  };

  for (const key of keys) {
    ws();
    if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
    i++;
    let found = false;
    for (;;) {
      ws();
      if (text.charCodeAt(i) === CLOSE_OBJECT) return undefined;
      const name = readKey();
      ws();
      i++; // colon
      if (name === key) {
        found = true;
        break;
      }
      skipValue();
      ws();
      if (text.charCodeAt(i) === COMMA) i++;
    }
    if (!found) return undefined;
  }
  ws();
  if (text.charCodeAt(i) !== OPEN_ARRAY) return undefined;
  i++;
  const items: string[] = [];
  for (;;) {
    ws();
    if (text.charCodeAt(i) === CLOSE_ARRAY) return items;
    const start = i;
    skipValue();
    items.push(text.slice(start, i));
    ws();
    if (text.charCodeAt(i) === COMMA) i++;
  }
}

/** Whether `c` ends a number, `true`, `false` or `null`. */
const endsScalar = (c: number): boolean => c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isJsonSpace(c);

/** Whether the quote at `at` is escaped: an odd run of backslashes before it. */
function escaped(text: string, at: number): boolean {
  let n = 0;
  while (text.charCodeAt(at - 1 - n) === BACKSLASH) n++;
  return n % 2 === 1;
}
