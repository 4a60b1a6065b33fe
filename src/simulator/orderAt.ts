import { seededRandom } from '../runtime/random.js';
import { pick } from './customerAt.js';
import { dirtyOrder } from './dirtyData.js';
import { hash32, Stream, unitHash } from './hash.js';
import type { SimRecord, SimValue } from './toJson.js';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'BRL'];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'];
const CREATED_FROM = Date.UTC(2020, 0, 1);
const CREATED_SPAN_S = 6 * 365 * 86_400;

/** The order with `id` for `seed`: a pure function like `customerAt`. */
export function orderAt(seed: number, id: number, customers: number, dirtyRate: number): SimRecord {
  const r = seededRandom(hash32(seed, id, Stream.order));
  const currency = pick(CURRENCIES, r());
  const amount = Math.round(r() * (currency === 'JPY' ? 50_000_000 : 500_000)) / 100;
  const record: Record<string, SimValue> = {
    id,
    customer_id: customers > 0 ? 1 + Math.floor(r() * customers) : null,
    amount: currency === 'JPY' ? Math.round(amount) : amount,
    currency,
    created_at: new Date(CREATED_FROM + Math.floor(r() * CREATED_SPAN_S) * 1000).toISOString(),
    status: pick(STATUSES, r()),
    items: 1 + Math.floor(r() * 9),
  };
  if (unitHash(seed, id, Stream.orderDirty) < dirtyRate) dirtyOrder(record, seededRandom(hash32(seed, id, Stream.orderDirty, 1)));
  return record as SimRecord;
}
