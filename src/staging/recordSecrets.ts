/** The run's configured secrets found inside a record: where they are and, by option, the record with them masked. */
import { REDACTED, holdsSecret, secretPattern } from '../logging/redaction.js';

/** What records are searched for: every spelling of the run's configured secrets; `mask` replaces them before staging. */
export interface RecordSecrets {
  readonly pattern: RegExp;
  readonly mask: boolean;
}

/** The search for `values` (those long enough to scrub, see `MIN_SCRUBBED_SECRET_LENGTH`), or undefined when there is none to search for. */
export function recordSecrets(values: Iterable<string>, mask: boolean): RecordSecrets | undefined {
  const pattern = secretPattern(values);
  return pattern === undefined ? undefined : { pattern, mask };
}

export interface SecretsFound {
  /** The fields holding a secret, as paths (`note`, `auth.token`, `items[].key`; `$` for the record itself), names masked. */
  readonly fields: readonly string[];
  /** The record's JSON text with each secret masked (`mask`): in a string or a name, `[REDACTED]` in its place; a number holding one becomes the string `"[REDACTED]"`. */
  readonly text?: string;
}

const isNumberChar = (c: string): boolean => (c >= '0' && c <= '9') || c === '-' || c === '+' || c === '.' || c === 'e' || c === 'E';
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Where the secrets are in `text` (one record's valid JSON text), or undefined when it holds none.
 * A record without any costs one regular-expression test; one with a secret is walked once,
 * token by token with a stack of the open objects and arrays (no recursion, so any depth), and a
 * string that holds one is decoded, masked and encoded again: masking never breaks the JSON.
 */
export function secretsInRecord(text: string, { pattern, mask }: RecordSecrets): SecretsFound | undefined {
  if (!holdsSecret(pattern, text)) return undefined;
  const masked = (s: string): string => s.replace(pattern, REDACTED);
  const fields = new Set<string>();
  const frames: { array: boolean; key: string }[] = [];
  const edits: [start: number, end: number, replacement: string][] = [];
  const where = (): string =>
    frames.length === 0 ? '$' : frames.map((f, i) => (f.array ? '[]' : `${i === 0 ? '' : '.'}${masked(f.key)}`)).join('');
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const token = text.slice(i, end + 1);
      let next = end + 1;
      while (isSpace(text[next])) next++;
      const frame = frames[frames.length - 1];
      if (text[next] === ':' && frame !== undefined) frame.key = JSON.parse(token) as string;
      if (holdsSecret(pattern, token.slice(1, -1))) {
        fields.add(where());
        edits.push([i, end + 1, JSON.stringify(masked(JSON.parse(token) as string))]);
      }
      i = end + 1;
    } else if (c === '{' || c === '[') {
      frames.push({ array: c === '[', key: '' });
      i++;
    } else if (c === '}' || c === ']') {
      frames.pop();
      i++;
    } else if (isNumberChar(c)) {
      let end = i;
      while (end < text.length && isNumberChar(text[end]!)) end++;
      if (holdsSecret(pattern, text.slice(i, end))) {
        fields.add(where());
        edits.push([i, end, JSON.stringify(REDACTED)]);
      }
      i = end;
    } else i++;
  }
  if (!mask) return { fields: [...fields] };
  let out = '';
  let from = 0;
  for (const [start, end, replacement] of edits) {
    out += text.slice(from, start) + replacement;
    from = end;
  }
  return { fields: [...fields], text: out + text.slice(from) };
}
