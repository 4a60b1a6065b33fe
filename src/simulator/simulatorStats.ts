/** The endpoints the simulator counts requests for. */
export type SimulatorEndpoint = 'login' | 'customers' | 'orders' | 'health' | 'stats' | 'other';

/** Faults the simulator injects, by kind. */
export type FaultKind =
  | 'internal_error'
  | 'bad_gateway'
  | 'unavailable'
  | 'outage'
  | 'rate_limited'
  | 'token_expired'
  | 'reset'
  | 'truncated'
  | 'wrong_content'
  | 'trickle'
  | 'slow';

export const faultKinds: readonly FaultKind[] = [
  'internal_error',
  'bad_gateway',
  'unavailable',
  'outage',
  'rate_limited',
  'token_expired',
  'reset',
  'truncated',
  'wrong_content',
  'trickle',
  'slow',
];

/** What the simulator did: the server's own truth, to check a run's report against. */
export interface SimulatorStats {
  /** Every request received. */
  requests: number;
  /** Requests by endpoint, then by status code (`"reset"` for a destroyed connection). */
  byEndpoint: Record<SimulatorEndpoint, Record<string, number>>;
  /** Faults injected, by kind (a 429 counts as `rate_limited`, an expired token as `token_expired`). */
  faults: Record<FaultKind, number>;
  logins: { succeeded: number; failed: number };
  /** 429 answers. */
  rateLimited: number;
  /** Data pages sent whole (200, JSON, not cut or reset; trickled pages count). */
  pagesServed: number;
  /** Records in those pages, repeats included. */
  recordsServed: number;
  /** Repeats among `recordsServed`. */
  duplicatesServed: number;
}

export function createStats(): SimulatorStats {
  return {
    requests: 0,
    byEndpoint: { login: {}, customers: {}, orders: {}, health: {}, stats: {}, other: {} },
    faults: Object.fromEntries(faultKinds.map((k) => [k, 0])) as Record<FaultKind, number>,
    logins: { succeeded: 0, failed: 0 },
    rateLimited: 0,
    pagesServed: 0,
    recordsServed: 0,
    duplicatesServed: 0,
  };
}
