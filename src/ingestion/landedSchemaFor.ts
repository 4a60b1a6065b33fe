import type { FieldRule } from '../output/index.js';

/** The DuckDB type ELT gives a field that follows the rule (dates stay text: ELT lands what was sent). */
const landedType: Readonly<Record<FieldRule, string>> = {
  integer: 'BIGINT',
  text: 'VARCHAR',
  email: 'VARCHAR',
  date: 'VARCHAR',
  timestamp: 'VARCHAR',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'JSON',
};

/**
 * The columns an ELT file of a known dataset always has, so that an empty dataset still yields
 * a file with its schema (columns the records carry are typed from the records themselves).
 */
export function landedSchemaFor(cleanSchema: Readonly<Record<string, FieldRule>>): Record<string, string> {
  return Object.fromEntries(Object.entries(cleanSchema).map(([name, rule]) => [name, landedType[rule]]));
}
