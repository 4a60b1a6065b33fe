/** A value a simulated record may hold; `bigint` is served as a bare JSON integer beyond 2^53. */
export type SimValue = null | boolean | number | string | bigint | readonly SimValue[] | { readonly [key: string]: SimValue };

/** A record as served: `id` is its key (1..N), the rest is generated from `(seed, id)`. */
export interface SimRecord {
  readonly id: number;
  readonly [field: string]: SimValue;
}

/**
 * Serialises like `JSON.stringify`, plus `bigint` as a bare integer (which JSON allows and
 * `JSON.stringify` refuses). These are exactly the bytes the simulator serves for a record.
 */
export function toJson(value: SimValue): string {
  if (typeof value === 'object' && value !== null) {
    // The native serialiser gives the same bytes and is far faster; it throws only on a bigint.
    try {
      return JSON.stringify(value);
    } catch {
      return slowJson(value);
    }
  }
  return slowJson(value);
}

function slowJson(value: SimValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (isArray(value)) return `[${value.map(slowJson).join(',')}]`;
  const fields: string[] = [];
  for (const [key, field] of Object.entries(value)) fields.push(`${JSON.stringify(key)}:${slowJson(field)}`);
  return `{${fields.join(',')}}`;
}

function isArray(value: SimValue): value is readonly SimValue[] {
  return Array.isArray(value);
}
