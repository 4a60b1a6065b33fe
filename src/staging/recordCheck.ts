/** The rules a record must keep to be staged as a record, checked as `scanRecords` reads its text. */

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
 * One record's check, told by the scanner what it reads, in text order: refused are a record over
 * a limit, a field name that is empty or `*` (at the top, where names become columns), that holds
 * a control character or appears twice in one object (anywhere), and a lone UTF-16 surrogate
 * escape such as `\ud800` (it is no character: DuckDB refuses the text). The first broken rule is
 * the reason, its size's aside (told last, it goes first); checking stops there, so what it holds
 * (the names of the open objects) is bounded by the limits. Depths count from the record's own
 * container (1).
 */
export class RecordCheck {
  readonly #limits: Readonly<RecordLimits>;
  #keys = 0;
  #reason: string | undefined;

  constructor(limits: Readonly<RecordLimits>) {
    this.#limits = limits;
  }

  /** A record begins. */
  start(): void {
    this.#keys = 0;
    this.#reason = undefined;
  }

  /** An object or array opens at `depth`. */
  open(depth: number): void {
    if (this.#reason !== undefined) return;
    if (depth > this.#limits.maxRecordDepth) this.#reason = `record nested deeper than maxRecordDepth ${this.#limits.maxRecordDepth}`;
    else names.open(depth);
  }

  /** A string holds a lone surrogate escape, whose 4 hex digits end before `end`. */
  loneSurrogate(text: string, end: number): void {
    this.#reason ??= `lone surrogate escape \\u${text.slice(end - 4, end)} in a string`;
  }

  /** The name quoted at `text[start, end)` (`escaped`: it holds an escape) of the object open at `depth`. */
  name(depth: number, text: string, start: number, end: number, escaped: boolean): void {
    if (this.#reason !== undefined) return;
    if (++this.#keys > this.#limits.maxRecordKeys) {
      this.#reason = `record with more than maxRecordKeys ${this.#limits.maxRecordKeys} keys`;
      return;
    }
    // Names are compared by a hash of their characters (no string made per name); an escaped name is
    // decoded first (`"\u0061"` is `"a"`). Control characters come only escaped: valid JSON has none raw.
    const name = escaped ? (JSON.parse(text.slice(start, end)) as string) : undefined;
    if (depth === 1 && (end - start === 2 || (end - start === 3 && text.charCodeAt(start + 1) === STAR) || name === '' || name === '*'))
      this.#reason = `field name ${JSON.stringify(name ?? text.slice(start + 1, end - 1))} cannot be a column`;
    else if (name !== undefined && controlCharacter.test(name))
      this.#reason = `field name ${JSON.stringify(name)} holds a control character`;
    else {
      // JSON.parse keeps the last of two equal names, DuckDB the first: the key and the row would disagree.
      const twice = names.add(depth, text, start, end, name);
      if (twice !== undefined) this.#reason = `field name ${JSON.stringify(twice)} appears twice in one object`;
    }
  }

  /** The record's text ended, `record` whole: why it is refused, or undefined. */
  end(record: string): string | undefined {
    return sizeRefusal(record, this.#limits) ?? this.#reason;
  }
}

/** Why `record` is refused for its size alone, or undefined. */
export function sizeRefusal(record: string, { maxRecordBytes }: Readonly<RecordLimits>): string | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most records are not measured.
  const bytes = record.length * 3 <= maxRecordBytes ? 0 : Buffer.byteLength(record, 'utf8');
  return bytes > maxRecordBytes ? `record of ${bytes} bytes is larger than maxRecordBytes ${maxRecordBytes}` : undefined;
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

/** One for every check: a check runs within one synchronous scan, and its arrays are then reused, not made again per page. */
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
