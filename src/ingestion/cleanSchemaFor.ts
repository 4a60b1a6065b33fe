import { customerCleanSchema, orderCleanSchema, type FieldRule } from '../output/index.js';

/** ETL rules for the simulator's datasets; other endpoints get text trimming only. */
export function cleanSchemaFor(endpoint: string): Readonly<Record<string, FieldRule>> {
  if (endpoint.endsWith('/customers')) return customerCleanSchema;
  if (endpoint.endsWith('/orders')) return orderCleanSchema;
  return {};
}
