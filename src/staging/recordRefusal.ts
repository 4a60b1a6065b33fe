/** Why a record is not staged as a record: too large, too deep or too wide for staging, or poison to it. */

/** The run options that bound one record (`maxRecordBytes`, `maxRecordDepth`, `maxRecordKeys`). */
export interface RecordLimits {
  /** UTF-8 bytes of the record's JSON text. */
  readonly maxRecordBytes: number;
  /** Nesting of objects and arrays: `{}` is 1 deep, `{"a":[1]}` is 2. */
  readonly maxRecordDepth: number;
  /** Object keys in the whole record, nested ones included. */
  readonly maxRecordKeys: number;
}

/** A top-level field name no column can carry: DuckDB's JSON paths read `*` as a wildcard and cannot name "". */
const unnamable = new Set(['', '*']);
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const controlCharacter = /[\u0000-\u001f]/;

/**
 * The reason `text` (one record's JSON text, already known to be valid JSON) is refused, or
 * undefined when it may be staged. One pass over the text with a counter for depth, so a record
 * nested 100,000 deep costs what any record of its size costs (a recursive walk, DuckDB's
 * included, overflows its stack on it); the pass stops at the first limit passed. Refused are:
 * a record over a limit, a field name that is empty, `*` (at the top, where names become
 * columns) or holds a control character (anywhere), and a lone UTF-16 surrogate escape such as
 * `\ud800` (it is no character: DuckDB refuses the text).
 */
export function recordRefusal(text: string, limits: Readonly<RecordLimits>): string | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxRecordBytes) return `record of ${bytes} bytes is larger than maxRecordBytes ${limits.maxRecordBytes}`;
  let depth = 0;
  let keys = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // `{` or `[`
      if (++depth > limits.maxRecordDepth) return `record nested deeper than maxRecordDepth ${limits.maxRecordDepth}`;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      i++;
    } else if (c === 0x22) {
      const start = i;
      const string = skipString(text, i);
      if (string.surrogate !== undefined) return `lone surrogate escape \\u${string.surrogate} in a string`;
      i = string.end;
      let j = i;
      while (j < text.length && (text[j] === ' ' || text[j] === '\n' || text[j] === '\r' || text[j] === '\t')) j++;
      if (text[j] !== ':') continue;
      if (++keys > limits.maxRecordKeys) return `record with more than maxRecordKeys ${limits.maxRecordKeys} keys`;
      // Control characters come only escaped (valid JSON has none raw): a plain name of 2+ characters is fine.
      if (!string.escaped && i - start >= 4) continue;
      const name = JSON.parse(text.slice(start, i)) as string;
      if (depth === 1 && unnamable.has(name)) return `field name ${JSON.stringify(name)} cannot be a column`;
      if (controlCharacter.test(name)) return `field name ${JSON.stringify(name)} holds a control character`;
    } else i++;
  }
  return undefined;
}

/**
 * Skips the string opening at `i`: the index after its closing quote and whether it holds an
 * escape, or the first lone surrogate escape (its 4 hex digits) when it holds one.
 */
function skipString(text: string, i: number): { end: number; escaped: boolean; surrogate?: string } {
  let escaped = false;
  /** A high surrogate escape waiting for its low half, which must be the very next escape. */
  let high: string | undefined;
  for (i++; ;) {
    const c = text[i];
    const unicode = c === '\\' && text[i + 1] === 'u';
    if (high !== undefined && !unicode) return { end: i, escaped, surrogate: high };
    if (c === '"') return { end: i + 1, escaped };
    if (c !== '\\') {
      i++;
      continue;
    }
    escaped = true;
    if (!unicode) {
      i += 2;
      continue;
    }
    const hex = text.slice(i + 2, i + 6);
    const unit = parseInt(hex, 16);
    i += 6;
    const isLow = unit >= 0xdc00 && unit <= 0xdfff;
    if (high !== undefined && !isLow) return { end: i, escaped, surrogate: high };
    if (high === undefined && isLow) return { end: i, escaped, surrogate: hex };
    high = !isLow && unit >= 0xd800 && unit <= 0xdbff ? hex : undefined;
  }
}
