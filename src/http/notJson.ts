/**
 * Why a body is not JSON, without quoting it: its size and where parsing failed. The parser's
 * own message quotes the text, and a body holds customer records or a token.
 */
export function notJson(body: string): string {
  const bytes = Buffer.byteLength(body);
  const offset = jsonErrorOffset(body);
  if (offset === undefined) return `${bytes} bytes that do not parse`;
  if (offset >= body.length) return `${bytes} bytes, ending before the JSON does`;
  const before = body.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `${bytes} bytes, parsing failed at character ${offset} (line ${line}, column ${column})`;
}

/** The offset of the first character a JSON parser refuses (the length when the text ends early); undefined when it parses or nests too deep to scan. */
function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonStop(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (c: string): void => {
    if (text[i] !== c) fail();
    i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 34) return void i++;
      if (c < 32) fail();
      if (c !== 92) {
        i++;
        continue;
      }
      i++;
      if (text[i] === 'u') {
        for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) return void ((i += k), fail());
        i += 5;
      } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
      else fail();
    }
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === '{') {
          ws();
          string();
          ws();
          expect(':');
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else return expect(close);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (c === word[0]) {
        for (const ch of word) expect(ch);
        return;
      }
    }
    number.lastIndex = i;
    if (number.exec(text) === null) fail();
    i = number.lastIndex;
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (error: unknown) {
    if (error instanceof JsonStop) return error.offset;
    return undefined; // nested deeper than the stack: no place to tell
  }
}

class JsonStop {
  constructor(readonly offset: number) {}
}
