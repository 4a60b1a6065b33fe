import type { DeclaredField, FieldRule } from '../config/sourceSpec.js';

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
 * The columns an ELT file of a declared schema always has, so that an empty dataset still yields
 * a file with its schema (columns the records carry are typed from the records themselves).
 */
export function landedSchemaFor(schema: Readonly<Record<string, DeclaredField>>): Record<string, string> {
  return Object.fromEntries(Object.entries(schema).map(([name, field]) => [name, landedType[field.type]]));
}
