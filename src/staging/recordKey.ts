/**
 * The dedupe key of a record as text, or null when the record has no usable key: a safe
 * integer or a non-blank string (trimmed). Anything else (missing, null, fraction, beyond
 * 2^53, boolean, object) is not a key; such records are staged with a NULL key and rejected.
 */
export function recordKey(record: unknown, keyField: string): string | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return null;
  return keyOfValue((record as Record<string, unknown>)[keyField]);
}

/** The key a record's key field holding `value` gives (`recordKey`'s rules). */
export function keyOfValue(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : null;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }
  return null;
}
