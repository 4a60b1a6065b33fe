import { seededRandom } from '../runtime/random.js';
import { dirtyCustomer } from './dirtyData.js';
import { hash32, Stream, unitHash } from './hash.js';
import type { SimRecord, SimValue } from './toJson.js';

const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Chloe',
  'David',
  'Elena',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kara',
  'Liam',
  'Maya',
  'Nils',
  'Olga',
  'Pedro',
  'Quinn',
  'Rosa',
  'Sami',
  'Tara',
  'Uma',
  'Victor',
  'Wei',
  'Yara',
  'Zoran',
];
const LAST_NAMES = [
  'Adams',
  'Berg',
  'Costa',
  'Dubois',
  'Evans',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Novak',
  'Okafor',
  'Petrov',
  'Quiroga',
  'Rossi',
  'Silva',
  'Tanaka',
  'Usman',
  'Varga',
  'Weber',
  'Yilmaz',
  'Zimmer',
];
const PLACES: readonly (readonly [country: string, dial: string, cities: readonly string[]])[] = [
  ['US', '+1', ['New York', 'Austin', 'Seattle']],
  ['GB', '+44', ['London', 'Leeds', 'Bristol']],
  ['DE', '+49', ['Berlin', 'Hamburg', 'Munich']],
  ['FR', '+33', ['Paris', 'Lyon', 'Nantes']],
  ['BR', '+55', ['Sao Paulo', 'Recife', 'Curitiba']],
  ['JP', '+81', ['Tokyo', 'Osaka', 'Sapporo']],
  ['IN', '+91', ['Pune', 'Chennai', 'Jaipur']],
  ['NG', '+234', ['Lagos', 'Abuja', 'Ibadan']],
];
const STREETS = ['Main St', 'High Street', 'Oak Avenue', 'Station Road', 'Mill Lane', 'Park Way', 'Church Road'];
const TAGS = ['vip', 'newsletter', 'churn-risk', 'b2b', 'beta', 'wholesale'];

const DAY_MS = 86_400_000;
const SIGNUP_FROM = Date.UTC(2015, 0, 1);
const SIGNUP_DAYS = 4018; // through 2025-12-31
const LOGIN_UNTIL = Date.UTC(2026, 0, 1);

/** Picks an element; `list` is never empty here. */
export function pick<T>(list: readonly T[], r: number): T {
  return list[Math.floor(r * list.length)] as T;
}

/**
 * The customer with `id` for `seed`, clean or dirty: a pure function, nothing is stored, so a
 * duplicate served later is byte-identical and 10M records cost what 1,000 do.
 */
export function customerAt(seed: number, id: number, dirtyRate: number): SimRecord {
  const r = seededRandom(hash32(seed, id, Stream.customer));
  const first = pick(FIRST_NAMES, r());
  const last = pick(LAST_NAMES, r());
  const [country, dial, cities] = pick(PLACES, r());
  const city = pick(cities, r());
  const signup = SIGNUP_FROM + Math.floor(r() * SIGNUP_DAYS) * DAY_MS;
  const lastLogin = signup + Math.floor((r() * (LOGIN_UNTIL - signup)) / 1000) * 1000;
  const tags: SimValue[] = TAGS.filter(() => r() < 0.2);
  const record: Record<string, SimValue> = {
    id,
    first_name: first,
    last_name: last,
    email: `${first}.${last}${id}@example.com`.toLowerCase(),
    phone: `${dial} ${String(1_000_000_000 + Math.floor(r() * 9_000_000_000)).slice(0, 10)}`,
    country,
    city,
    signup_date: new Date(signup).toISOString().slice(0, 10),
    last_login_at: new Date(lastLogin).toISOString(),
    lifetime_value: Math.round(r() * 500_000) / 100,
    is_active: r() < 0.8,
    tags,
    address: {
      street: `${1 + Math.floor(r() * 300)} ${pick(STREETS, r())}`,
      city,
      postal_code: String(10_000 + Math.floor(r() * 90_000)),
      country,
    },
  };
  if (unitHash(seed, id, Stream.customerDirty) < dirtyRate) dirtyCustomer(record, seededRandom(hash32(seed, id, Stream.customerDirty, 1)));
  return record as SimRecord;
}
