/** Why a record is not staged as a record: too large, too deep or too wide for staging, or poison to it. */
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, isJsonSpace, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './jsonChars.js';

/** The run options that bound one record (`maxRecordBytes`, `maxRecordDepth`, `maxRecordKeys`). */
export interface RecordLimits {
  /** UTF-8 bytes of the record's JSON text. */
  readonly maxRecordBytes: number;
  /** Nesting of objects and arrays: `{}` is 1 deep, `{"a":[1]}` is 2. */
  readonly maxRecordDepth: number;
  /** Object keys in the whole record, nested ones included. */
  readonly maxRecordKeys: number;
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const controlCharacter = /[\u0000-\u001f]/;

/**
 * The reason `text` (one record's JSON text, already known to be valid JSON) is refused, or
 * undefined when it may be staged. One pass over the text with a counter for depth, so a record
 * nested 100,000 deep costs what any record of its size costs (a recursive walk, DuckDB's
 * included, overflows its stack on it); the pass stops at the first limit passed, so what it holds
 * (the names of the open objects) is bounded by the limits. Refused are: a record over a limit, a
 * field name that is empty or `*` (at the top, where names become columns), that holds a control
 * character or appears twice in one object (anywhere), and a lone UTF-16 surrogate escape such as
 * `\ud800` (it is no character: DuckDB refuses the text). About 1.5 µs for a 220-byte record.
 */
export function recordRefusal(text: string, limits: Readonly<RecordLimits>): string | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxRecordBytes) return `record of ${bytes} bytes is larger than maxRecordBytes ${limits.maxRecordBytes}`;
  nextBackslash = text.indexOf('\\');
  let depth = 0;
  let keys = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i++);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.maxRecordDepth) return `record nested deeper than maxRecordDepth ${limits.maxRecordDepth}`;
      names.open(depth);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === QUOTE) {
      const start = i - 1;
      i = skipString(text, i);
      if (i < 0) return `lone surrogate escape \\u${text.slice(-i - 4, -i)} in a string`;
      let j = i;
      while (j < n && isJsonSpace(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) !== COLON) continue;
      if (++keys > limits.maxRecordKeys) return `record with more than maxRecordKeys ${limits.maxRecordKeys} keys`;
      // Names are compared by a hash of their characters (no string made per name); an escaped name is
      // decoded first (`"\u0061"` is `"a"`). Control characters come only escaped: valid JSON has none raw.
      const escaped = lastStringEscaped;
      const name = escaped ? (JSON.parse(text.slice(start, i)) as string) : undefined;
      if (depth === 1 && (i - start === 2 || (i - start === 3 && text.charCodeAt(start + 1) === STAR) || name === '' || name === '*'))
        return `field name ${JSON.stringify(name ?? text.slice(start + 1, i - 1))} cannot be a column`;
      if (name !== undefined && controlCharacter.test(name)) return `field name ${JSON.stringify(name)} holds a control character`;
      // JSON.parse keeps the last of two equal names, DuckDB the first: the key and the row would disagree.
      const twice = names.add(depth, text, start, i, name);
      if (twice !== undefined) return `field name ${JSON.stringify(twice)} appears twice in one object`;
    }
  }
  return undefined;
}

/**
 * The names of each open object, by depth, for the duplicate check: hashes with their spans, in
 * arrays reused from record to record (bounded by maxRecordDepth and maxRecordKeys); a wide
 * object's hashes also go in a set, so its check stays linear.
 */
class OpenNames {
  readonly #hashes: number[][] = [];
  readonly #starts: number[][] = [];
  readonly #ends: number[][] = [];
  readonly #wide: (Set<number> | undefined)[] = [];
  readonly #counts: number[] = [];

  /** A container opened at `depth`: it starts with no names. */
  open(depth: number): void {
    this.#counts[depth] = 0;
    this.#wide[depth]?.clear();
  }

  /** Adds the name quoted at `text[start, end)` (`decoded` when escaped); returns it when the object has it already. */
  add(depth: number, text: string, start: number, end: number, decoded: string | undefined): string | undefined {
    const hash = decoded === undefined ? hashChars(text, start + 1, end - 1) : hashChars(decoded, 0, decoded.length);
    const hashes = (this.#hashes[depth] ??= []);
    const starts = (this.#starts[depth] ??= []);
    const ends = (this.#ends[depth] ??= []);
    const count = this.#counts[depth]!;
    const wide = count < wideFrom ? undefined : (this.#wide[depth] ??= new Set());
    if (wide !== undefined && wide.size === 0) for (let k = 0; k < count; k++) wide.add(hashes[k]!);
    if (wide === undefined || wide.has(hash)) {
      for (let k = 0; k < count; k++) {
        if (hashes[k] !== hash) continue;
        const name = decoded ?? text.slice(start + 1, end - 1);
        if (nameAt(text, starts[k]!, ends[k]!) === name) return name;
      }
    }
    wide?.add(hash);
    hashes[count] = hash;
    starts[count] = start;
    ends[count] = end;
    this.#counts[depth] = count + 1;
    return undefined;
  }
}

/** Names in one object from which their hashes are also kept in a set. */
const wideFrom = 16;

const names = new OpenNames();

/** FNV-1a over UTF-16 units. */
function hashChars(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let k = from; k < to; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
  return h;
}

/** The name quoted at `text[start, end)`, decoded. */
const nameAt = (text: string, start: number, end: number): string =>
  text.slice(start, end).includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : text.slice(start + 1, end - 1);

const STAR = '*'.charCodeAt(0);
const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;
const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/** Whether the string `skipString` last skipped holds an escape (a result beside its return value, allocating nothing). */
let lastStringEscaped = false;
/** Where the record's next backslash is (-1: none): a string before it has no escape. */
let nextBackslash = -1;

/**
 * Skips the string whose opening quote is just before `i`: the index after its closing quote, or,
 * when it holds a lone surrogate escape, minus the index just after that escape's 4 hex digits.
 * A string without a backslash ends at the next quote, found by a native search: most strings.
 */
function skipString(text: string, i: number): number {
  const quote = text.indexOf('"', i);
  if (nextBackslash < 0 || nextBackslash > quote) {
    lastStringEscaped = false;
    // No closing quote is not JSON (never the case here): end the scan rather than start it again.
    return quote < 0 ? text.length : quote + 1;
  }
  const end = skipEscapedString(text, i);
  if (end >= 0) nextBackslash = text.indexOf('\\', end);
  return end;
}

/** `skipString` character by character, decoding escapes. */
function skipEscapedString(text: string, i: number): number {
  /** Where the last escape was a high surrogate waiting for its low half (which must follow at once), its end; else -1. */
  let high = -1;
  lastStringEscaped = false;
  for (;;) {
    const c = text.charCodeAt(i);
    const unicode = c === BACKSLASH && text.charCodeAt(i + 1) === 0x75; // \u
    if (high >= 0 && (!unicode || !isLow(parseInt(text.slice(i + 2, i + 6), 16)))) return -high;
    if (c === QUOTE) return i + 1;
    if (c !== BACKSLASH) {
      i++;
      continue;
    }
    lastStringEscaped = true;
    if (!unicode) {
      i += 2;
      continue;
    }
    const unit = parseInt(text.slice(i + 2, i + 6), 16);
    i += 6;
    if (high >= 0)
      high = -1; // the low half of the pair just checked
    else if (isLow(unit)) return -i;
    else if (isHigh(unit)) high = i;
  }
}
