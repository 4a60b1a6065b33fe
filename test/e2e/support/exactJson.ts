/**
 * JSON compared exactly: numbers keep their source digits (a big integer is never rounded
 * through a double), so the oracle's `toJson` text and a file's JSON text can be compared value
 * by value whatever the output format printed (1234.5, 1234.50, 9007199254740993).
 */
export class ExactNumber {
  constructor(readonly text: string) {}
}

export type ExactValue = null | boolean | string | ExactNumber | readonly ExactValue[] | { readonly [key: string]: ExactValue };

/** The canonical digits of a JSON or SQL number: no trailing fraction zeros, no "-0". */
export function canonicalNumber(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text.trim());
  if (match === null) return text;
  const [, sign = '', whole = '0', fraction = '', exponent] = match;
  if (exponent !== undefined) return String(Number(text));
  const int = whole.replace(/^0+(?=\d)/, '');
  const frac = fraction.replace(/0+$/, '');
  const digits = frac === '' ? int : `${int}.${frac}`;
  return digits === '0' ? '0' : `${sign}${digits}`;
}

/** Parses JSON text, numbers as ExactNumber. Throws on invalid JSON. */
export function parseExact(text: string): ExactValue {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at ${i}: ${text.slice(Math.max(0, i - 20), i + 20)}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const value = (): ExactValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, ExactValue> = {};
      ws();
      if (text[i] === '}') return (i++, out);
      for (;;) {
        ws();
        const key = string();
        ws();
        if (text[i++] !== ':') fail();
        out[key] = value();
        ws();
        const sep = text[i++];
        if (sep === '}') return out;
        if (sep !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const out: ExactValue[] = [];
      ws();
      if (text[i] === ']') return (i++, out);
      for (;;) {
        out.push(value());
        ws();
        const sep = text[i++];
        if (sep === ']') return out;
        if (sep !== ',') fail();
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) return ((i += word.length), v);
    }
    const number = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (number === null) return fail();
    i += number[0].length;
    return new ExactNumber(canonicalNumber(number[0]));
  };
  const string = (): string => {
    if (text[i] !== '"') fail();
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    return JSON.parse(text.slice(start, ++i)) as string;
  };
  const result = value();
  ws();
  if (i !== text.length) fail();
  return result;
}

/**
 * Where `actual` differs from `expected`, or undefined when equal. A key whose actual value is
 * null counts as absent (a typed column or struct holds null for a field a record lacked).
 */
export function exactDifference(actual: ExactValue | undefined, expected: ExactValue | undefined, path = '$'): string | undefined {
  if (expected === undefined) return actual === null || actual === undefined ? undefined : `${path}: unexpected ${show(actual)}`;
  if (actual === undefined) return `${path}: missing, expected ${show(expected)}`;
  if (expected instanceof ExactNumber || actual instanceof ExactNumber) {
    return expected instanceof ExactNumber && actual instanceof ExactNumber && expected.text === actual.text
      ? undefined
      : `${path}: ${show(actual)} instead of ${show(expected)}`;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual) || expected.length !== actual.length)
      return `${path}: ${show(actual)} instead of ${show(expected)}`;
    for (const [n, item] of (expected as readonly ExactValue[]).entries()) {
      const d = exactDifference((actual as readonly ExactValue[])[n], item, `${path}[${n}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    const a = actual as Readonly<Record<string, ExactValue>>;
    const e = expected as Readonly<Record<string, ExactValue>>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      const d = exactDifference(a[key], e[key], `${path}.${key}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${path}: ${show(actual)} instead of ${show(expected)}`;
}

function show(value: ExactValue): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof ExactNumber ? `#${v.text}` : v));
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
