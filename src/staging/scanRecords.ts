import { isRootPath } from '../config/dottedPath.js';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, isJsonSpace } from './jsonChars.js';
import { RecordCheck, type RecordLimits } from './recordCheck.js';
import { keyOfValue } from './recordKey.js';

/** A page body cut into its records, by `scanRecords`. */
export interface ScannedRecords {
  /** The exact source text of each element of the array at the records path, or undefined when the path leads to no array. */
  readonly records: string[] | undefined;
  /** Each record's dedupe key, by `recordKey`'s rules, read from its text. */
  readonly keys: (string | null)[];
  /** The body with that array emptied (`[]`), for the paginator's fields; the body itself when there is no array. */
  readonly envelope: string;
  /** With limits: why each record is refused under them (`RecordCheck`), or undefined when it is not. */
  readonly refusals?: (string | undefined)[];
  /** A number of `longNumberChars` characters or more is in the text: an integer beyond 2^53 is one. */
  readonly longNumbers: boolean;
}

/** A JSON number this long or longer may be an integer beyond 2^53 (2^53 itself has 16 digits). */
export const longNumberChars = 16;

const OBJECT = 1;
const ARRAY = 2;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const controlCharacter = /[\u0000-\u001f]/g;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isHex = (c: number): boolean => (c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
/** `" \ / b f n r t`: the characters a backslash may escape besides `u`. */
const isShortEscape = (c: number): boolean =>
  c === QUOTE || c === BACKSLASH || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;

/**
 * The records of a page body (the array at the dotted `recordsPath`, `$` for the body itself, or
 * with `null` the text as one record) in one pass that does the work of three (JSON.parse, cutting
 * each record's text, reading its key): it accepts exactly the texts JSON.parse accepts (undefined
 * otherwise), and reads what JSON.parse would (the last of two equal names). Each record is kept
 * as its exact text: JSON.parse would round integers beyond 2^53, and a page waiting to be staged
 * then holds slices of its body, not a tree of objects. Iterative, with a stack of one byte per
 * open container: any depth costs what its bytes cost. With `limits`, each record is checked
 * against them (`RecordCheck`) in the same pass.
 */
export function scanRecords(
  text: string,
  recordsPath: string | null,
  keyField: string,
  limits?: Readonly<RecordLimits>,
): ScannedRecords | undefined {
  const path = recordsPath === null || isRootPath(recordsPath) ? [] : recordsPath.split('.');
  const n = text.length;
  let stack = new Uint8Array(64);
  let depth = 0;
  let i = 0;
  /**
   * The open containers at depths 1..pathDepth lead to the records (the root waits for `path[0]`):
   * an object by its name `path[d - 1]`, an array by its element at that index (as `readPath` reads
   * one: `0`, `1`..., not `01`), counted in `elements`.
   */
  let pathDepth = 0;
  const indexes = path.map((name) => (/^(0|[1-9][0-9]*)$/.test(name) ? Number(name) : -1));
  const elements: number[] = [];
  /** The value about to start is the one at the path's next name. */
  let pathNext = false;
  let records: string[] | undefined = recordsPath === null ? [] : undefined;
  let keys: (string | null)[] = [];
  const check = limits && new RecordCheck(limits);
  let refusals: (string | undefined)[] = [];
  let longNumbers = false;
  /** Depth of the records array while it is open (0: the text is the record), else -1; and where it starts and ends. */
  let recordsDepth = recordsPath === null ? 0 : -1;
  let arrayStart = -1;
  let arrayEnd = -1;
  let recordStart = 0;
  /** The key field's value in the current record: it starts next, where it starts and ends. */
  let keyNext = false;
  let keyStart = -1;
  let keyEnd = -1;

  /** Where the next backslash and the next control character are, at or after the last string that looked (n: none). */
  let nextBackslash = -1;
  let nextControl = -1;
  /** Where the hex digits of the last string's first lone surrogate escape end (-1: none). */
  let loneSurrogate = -1;
  /**
   * The index after the string whose opening quote is at `i`, or -1 when it is not a JSON string.
   * Most strings hold neither an escape nor a control character: they end at the next quote, found
   * by a native search, as are the next backslash and control character (read character by
   * character, a 1,000-record page took 1.74 ms instead of 1.48; JSON.parse alone takes 1.5).
   */
  const string = (i: number): number => {
    const quote = text.indexOf('"', i + 1);
    if (quote < 0) return -1;
    if (nextBackslash < i) nextBackslash = (nextBackslash = text.indexOf('\\', i)) < 0 ? n : nextBackslash;
    if (nextControl < i) {
      controlCharacter.lastIndex = i;
      nextControl = controlCharacter.exec(text)?.index ?? n;
    }
    if (nextBackslash > quote && nextControl > quote) return quote + 1;
    const end = escapedString(i);
    if (loneSurrogate >= 0 && check !== undefined && recordsDepth >= 0 && depth >= recordsDepth) check.loneSurrogate(text, loneSurrogate);
    return end;
  };
  /** `string`, character by character, noting its first lone surrogate escape in `loneSurrogate`. */
  const escapedString = (i: number): number => {
    i++;
    loneSurrogate = -1;
    /** Where the last escape was a high surrogate waiting for its low half (which must follow at once), its end; else -1. */
    let high = -1;
    for (;;) {
      const c = text.charCodeAt(i);
      const unicode =
        c === BACKSLASH &&
        text.charCodeAt(i + 1) === 0x75 &&
        isHex(text.charCodeAt(i + 2)) &&
        isHex(text.charCodeAt(i + 3)) &&
        isHex(text.charCodeAt(i + 4)) &&
        isHex(text.charCodeAt(i + 5));
      const unit = unicode ? parseInt(text.slice(i + 2, i + 6), 16) : -1;
      if (high >= 0 && !isLow(unit) && loneSurrogate < 0) loneSurrogate = high;
      if (c === QUOTE) return i + 1;
      if (unicode) {
        i += 6;
        if (high >= 0)
          high = -1; // the low half of the pair just checked
        else if (isLow(unit) && loneSurrogate < 0) loneSurrogate = i;
        else if (isHigh(unit)) high = i;
      } else if (c === BACKSLASH) {
        if (!isShortEscape(text.charCodeAt(i + 1))) return -1;
        high = -1;
        i += 2;
      } else if (!(c >= 0x20))
        return -1; // a control character, or the text's end
      else {
        high = -1;
        i++;
      }
    }
  };
  /** The index after the number at `i`, or -1. */
  const number = (i: number): number => {
    if (text.charCodeAt(i) === MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === ZERO) i++;
    else if (isDigit(first)) while (isDigit(text.charCodeAt(++i)));
    else return -1;
    if (text.charCodeAt(i) === DOT) {
      if (!isDigit(text.charCodeAt(++i))) return -1;
      while (isDigit(text.charCodeAt(++i)));
    }
    if ((text.charCodeAt(i) | 0x20) === 0x65) {
      const sign = text.charCodeAt(++i);
      if (sign === 0x2b || sign === MINUS) i++;
      if (!isDigit(text.charCodeAt(i))) return -1;
      while (isDigit(text.charCodeAt(++i)));
    }
    return i;
  };
  /** Whether the name quoted at `text[start, end)` is `name`. */
  const named = (start: number, end: number, escaped: boolean, name: string): boolean =>
    escaped ? JSON.parse(text.slice(start, end)) === name : end - start - 2 === name.length && text.startsWith(name, start + 1);
  const push = (type: number): void => {
    if (depth === stack.length) {
      const grown = new Uint8Array(depth * 2);
      grown.set(stack);
      stack = grown;
    }
    stack[depth++] = type;
    if (check !== undefined && recordsDepth >= 0 && depth > recordsDepth) check.open(depth - recordsDepth);
  };

  // Each turn reads one value (after the name, in an object); then closes the containers it ends.
  for (;;) {
    while (isJsonSpace(text.charCodeAt(i))) i++;
    const c = text.charCodeAt(i);
    if (depth === recordsDepth) {
      recordStart = i;
      keyStart = -1;
      check?.start();
    } else if (keyNext) keyStart = i;
    keyNext = false;
    if (depth > 0 && depth === pathDepth && stack[depth - 1] === ARRAY && elements[depth]!++ === indexes[depth - 1]) pathNext = true;
    if (pathNext || (depth === 0 && recordsDepth < 0)) {
      pathNext = false;
      if (depth < path.length && (c === OPEN_OBJECT || (c === OPEN_ARRAY && indexes[depth]! >= 0))) {
        pathDepth = depth + 1;
        elements[pathDepth] = 0;
      } else if (depth === path.length && c === OPEN_ARRAY) {
        recordsDepth = depth + 1;
        arrayStart = i;
        records = [];
        keys = [];
        refusals = [];
      }
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      push(c === OPEN_OBJECT ? OBJECT : ARRAY);
      i++;
      while (isJsonSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        if (c === OPEN_OBJECT && (i = name(i)) < 0) return undefined;
        continue;
      }
      close(++i);
    } else if (c === QUOTE) {
      if ((i = string(i)) < 0) return undefined;
    } else if (c === MINUS || isDigit(c)) {
      const end = number(i);
      if (end < 0) return undefined;
      longNumbers ||= end - i >= longNumberChars;
      i = end;
    } else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else return undefined;
    if (depth === recordsDepth + 1 && keyEnd < keyStart) keyEnd = i;
    // A value ended in the container open at `depth`: a comma reads the next; a closing bracket ends the container, a value in turn.
    for (;;) {
      if (depth === recordsDepth) {
        const record = text.slice(recordStart, i);
        records!.push(record);
        keys.push(keyStart < 0 ? null : keyOf(text, keyStart, keyEnd));
        if (check !== undefined) refusals.push(check.end(record));
      }
      while (isJsonSpace(text.charCodeAt(i))) i++;
      if (depth === 0) return i === n ? scanned(text, records, keys, check && refusals, longNumbers, arrayStart, arrayEnd) : undefined;
      const d = text.charCodeAt(i);
      if (d === COMMA) {
        i++;
        if (stack[depth - 1] === OBJECT) {
          while (isJsonSpace(text.charCodeAt(i))) i++;
          if ((i = name(i)) < 0) return undefined;
        }
        break;
      }
      if (d !== (stack[depth - 1] === OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) return undefined;
      close(++i);
    }
  }

  /** Closes the container open at `depth`, whose closing bracket ends before `end`. */
  function close(end: number): void {
    if (depth === recordsDepth) {
      recordsDepth = -1;
      arrayEnd = end;
    }
    if (depth === pathDepth) pathDepth--;
    depth--;
    if (depth === recordsDepth + 1 && keyEnd < keyStart) keyEnd = end;
  }

  /**
   * Reads the name at `i` of the object open at `depth` and its colon: the index after the colon,
   * or -1. Notes when the value that follows is on the records path or is the record's key.
   */
  function name(i: number): number {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const start = i;
    const end = string(i);
    if (end < 0) return -1;
    // `string` looked for the next backslash from the opening quote on.
    const escaped = nextBackslash < end;
    if (check !== undefined && recordsDepth >= 0 && depth > recordsDepth) check.name(depth - recordsDepth, text, start, end, escaped);
    if (depth === pathDepth && stack[depth - 1] === OBJECT && named(start, end, escaped, path[depth - 1]!)) {
      // A later equal name replaces what the earlier one led to, as in JSON.parse.
      pathNext = true;
      records = undefined;
      keys = [];
      refusals = [];
      recordsDepth = -1;
    } else if (depth === recordsDepth + 1 && stack[depth - 1] === OBJECT && named(start, end, escaped, keyField)) keyNext = true;
    i = end;
    while (isJsonSpace(text.charCodeAt(i))) i++;
    return text.charCodeAt(i) === COLON ? i + 1 : -1;
  }
}

/** A record's key from the text of its key field's value at `[start, end)`, as `recordKey` reads the parsed value. */
function keyOf(text: string, start: number, end: number): string | null {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return keyOfValue(JSON.parse(text.slice(start, end)));
  if (first !== MINUS && !isDigit(first)) return null;
  // An integer as String writes it is its own key: no number is made of it. At most 12 characters:
  // V8 copies a slice that short, where a longer one would keep the page's whole body alive.
  return isPlainInteger(text, start, end) ? text.slice(start, end) : keyOfValue(Number(text.slice(start, end)));
}

/** Whether `text[start, end)` is an integer of at most 12 characters as `String` writes one: no leading zero, no `-0`, no fraction or exponent. */
function isPlainInteger(text: string, start: number, end: number): boolean {
  const digits = text.charCodeAt(start) === MINUS ? start + 1 : start;
  if (end - digits < 1 || end - start > 12) return false;
  if (text.charCodeAt(digits) === ZERO) return end - start === 1;
  for (let k = digits; k < end; k++) if (!isDigit(text.charCodeAt(k))) return false;
  return true;
}

function scanned(
  text: string,
  records: string[] | undefined,
  keys: (string | null)[],
  refusals: (string | undefined)[] | undefined,
  longNumbers: boolean,
  arrayStart: number,
  arrayEnd: number,
): ScannedRecords {
  if (records === undefined) return { records, keys: [], envelope: text, longNumbers, ...(refusals && { refusals: [] }) };
  const envelope = arrayStart < 0 ? text : `${text.slice(0, arrayStart)}[]${text.slice(arrayEnd)}`;
  return { records, keys, envelope, longNumbers, ...(refusals && { refusals }) };
}

const isLow = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;
const isHigh = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
