import type { DeclaredField, FieldRule } from '../config/sourceSpec.js';

/** The simulator's customers (docs/simulator.md), as examples/simulator.source.yaml declares them. */
export const customerSchema: Readonly<Record<string, FieldRule>> = {
  id: 'integer',
  first_name: 'text',
  last_name: 'text',
  email: 'email',
  phone: 'text',
  country: 'text',
  city: 'text',
  signup_date: 'date',
  last_login_at: 'timestamp',
  lifetime_value: 'number',
  is_active: 'boolean',
  tags: 'json',
  address: 'json',
};

/** The simulator's orders (cursor-paginated endpoint), as examples/simulator.source.yaml declares them. */
export const orderSchema: Readonly<Record<string, FieldRule>> = {
  id: 'integer',
  customer_id: 'integer',
  amount: 'number',
  currency: 'text',
  created_at: 'timestamp',
  status: 'text',
  items: 'integer',
};

/** A schema of plain rules as declared fields (none required). */
export function declared(schema: Readonly<Record<string, FieldRule>>): Readonly<Record<string, DeclaredField>> {
  return Object.fromEntries(Object.entries(schema).map(([name, type]) => [name, { type, required: false }]));
}
