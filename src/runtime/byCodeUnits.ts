/**
 * Orders strings by their UTF-16 code units, as `<` compares them: the same order on every machine,
 * unlike `localeCompare`, whose order (and whether it loads ICU's collation data) varies.
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
