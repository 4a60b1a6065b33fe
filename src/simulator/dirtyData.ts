import type { Random } from '../runtime/random.js';
import type { SimValue } from './toJson.js';

type Fields = Record<string, SimValue>;

/** The kinds of dirt a record may carry; each is something real APIs send. */
export const dirtKinds = [
  'invalid_email',
  'whitespace',
  'date_format',
  'nulls',
  'unicode_emoji',
  'long_string',
  'number_as_string',
  'quotes_newlines',
  'formula',
  'nul_char',
  'big_integer',
] as const;

export type DirtKind = (typeof dirtKinds)[number];

const LONG = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';

const str = (v: SimValue | undefined): string => (typeof v === 'string' ? v : String(v));

/** US, European, RFC 2822, offset ISO or epoch-seconds renderings of an ISO date(-time). */
function oddDate(iso: SimValue | undefined, r: Random): SimValue {
  if (typeof iso !== 'string') return iso ?? null; // already nulled by another dirt
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()].map((n) => String(n).padStart(2, '0'));
  switch (Math.floor(r() * 5)) {
    case 0:
      return `${m}/${day}/${y}`;
    case 1:
      return `${day}.${m}.${y}`;
    case 2:
      return d.toUTCString();
    case 3:
      return d.toISOString().replace('Z', '+00:00');
    default:
      return Math.floor(d.getTime() / 1000);
  }
}

function apply(kind: DirtKind, rec: Fields, r: Random): void {
  switch (kind) {
    case 'invalid_email':
      rec['email'] = [str(rec['email']).replace('@', ''), str(rec['email']).replace('@', '@@'), 'n/a', ''][Math.floor(r() * 4)] ?? '';
      return;
    case 'whitespace':
      rec['first_name'] = `  ${str(rec['first_name'])}\t`;
      rec['city'] = ` ${str(rec['city'])} `;
      return;
    case 'date_format':
      rec['signup_date'] = oddDate(rec['signup_date'], r);
      rec['last_login_at'] = oddDate(rec['last_login_at'], r);
      return;
    case 'nulls':
      rec['phone'] = null;
      rec['last_login_at'] = null;
      if (r() < 0.5) rec['address'] = null;
      return;
    case 'unicode_emoji':
      rec['first_name'] = ['Zoë', 'Søren', 'Łukasz', 'Ñandú', '李娜', 'Аня'][Math.floor(r() * 6)] ?? 'Zoë';
      rec['last_name'] = `${str(rec['last_name'])} 😀🚀`;
      rec['tags'] = ['🔥vip', 'naïve-café'];
      return;
    case 'long_string':
      rec['last_name'] = LONG.repeat(180).slice(0, 10_000);
      return;
    case 'number_as_string':
      rec['lifetime_value'] = String(rec['lifetime_value']);
      rec['is_active'] = String(rec['is_active']);
      return;
    case 'quotes_newlines':
      rec['address'] = { ...(rec['address'] as Fields | null), street: 'Flat 2, "The Old Mill",\nBack Lane\r\n' };
      rec['last_name'] = `O'Brien "${str(rec['last_name'])}"`;
      return;
    case 'formula':
      rec['city'] = ['=HYPERLINK("http://example.invalid","x")', '=1+1', '+SUM(A1:A9)', '-2+3', '@cmd'][Math.floor(r() * 5)] ?? '=1+1';
      return;
    case 'nul_char':
      rec['first_name'] = `${str(rec['first_name'])}\u0000`;
      rec['tags'] = ['a\u0000b'];
      return;
    case 'big_integer':
      rec['lifetime_value'] = 9_007_199_254_740_993n + BigInt(Math.floor(r() * 1e9));
      return;
  }
}

/** Makes a customer dirty in one or two ways (in place; the caller owns the object). */
export function dirtyCustomer(rec: Fields, r: Random): void {
  const count = r() < 0.3 ? 2 : 1;
  for (let i = 0; i < count; i++) apply(dirtKinds[Math.floor(r() * dirtKinds.length)] ?? 'nulls', rec, r);
}

/** Makes an order dirty: amounts as strings or beyond 2^53, odd dates, nulls, a formula status. */
export function dirtyOrder(rec: Fields, r: Random): void {
  switch (Math.floor(r() * 5)) {
    case 0:
      rec['amount'] = ` ${String(rec['amount'])} `;
      return;
    case 1:
      rec['created_at'] = oddDate(rec['created_at'], r);
      return;
    case 2:
      rec['customer_id'] = null;
      rec['currency'] = null;
      return;
    case 3:
      rec['status'] = '=cmd|"/C calc"!A0';
      return;
    default:
      rec['amount'] = 9_007_199_254_740_993n + BigInt(Math.floor(r() * 1e9));
  }
}
