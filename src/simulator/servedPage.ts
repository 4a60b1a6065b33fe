import { customerAt } from './customerAt.js';
import { Stream, unitHash } from './hash.js';
import { orderAt } from './orderAt.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './simulatorOptions.js';
import type { SimRecord } from './toJson.js';

/** The records of one page as served, with how many of them are repeats of earlier records. */
export interface ServedPage {
  readonly records: readonly SimRecord[];
  readonly duplicates: number;
}

type Dataset = 'customers' | 'orders';

function recordAt(o: ResolvedSimulatorOptions, dataset: Dataset, id: number): SimRecord {
  return dataset === 'customers' ? customerAt(o.seed, id, o.dirtyRate) : orderAt(o.seed, id, o.records, o.dirtyRate);
}

/**
 * Records `offset+1 .. offset+limit` (capped at the data set's size). Duplicates follow a rule
 * of `(seed, id)` alone, so nothing is stored: when record `id` is picked, record
 * `id - limit` (one page back, already served) is repeated right after it, byte for byte,
 * as an API does when rows shift while a client pages. A page may so hold more than `limit`.
 */
export function servedPage(o: ResolvedSimulatorOptions, dataset: Dataset, offset: number, limit: number): ServedPage {
  const total = dataset === 'customers' ? o.records : o.orders;
  const stream = dataset === 'customers' ? Stream.customerDuplicate : Stream.orderDuplicate;
  const records: SimRecord[] = [];
  let duplicates = 0;
  for (let id = offset + 1; id <= Math.min(total, offset + limit); id++) {
    records.push(recordAt(o, dataset, id));
    if (id > limit && o.duplicateRate > 0 && unitHash(o.seed, id, stream) < o.duplicateRate) {
      records.push(recordAt(o, dataset, id - limit));
      duplicates++;
    }
  }
  return { records, duplicates };
}

/**
 * The oracle: every customer of a simulator with these options exactly once, in id order,
 * exactly as served (`toJson(record)` gives the served bytes), generated lazily so that 10M
 * records cost no memory. Only `seed`, `records` and the profile's/own `dirtyRate` matter.
 */
export function* expectedCustomers(options: SimulatorOptions): Generator<SimRecord, void, undefined> {
  const o = resolveSimulatorOptions(options);
  for (let id = 1; id <= o.records; id++) yield customerAt(o.seed, id, o.dirtyRate);
}

/** The oracle for `/orders`, like `expectedCustomers` (`seed`, `records`, `orders`, `dirtyRate`). */
export function* expectedOrders(options: SimulatorOptions): Generator<SimRecord, void, undefined> {
  const o = resolveSimulatorOptions(options);
  for (let id = 1; id <= o.orders; id++) yield orderAt(o.seed, id, o.records, o.dirtyRate);
}
