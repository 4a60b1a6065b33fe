import { describe, expect, it } from 'vitest';
import {
  createSimulatorCore,
  customerAt,
  expectedCustomers,
  expectedOrders,
  toJson,
  type SimRecord,
  type SimulatorCore,
} from '../../src/simulator/index.js';
import { recordTexts } from './helpers.js';

const FIELDS = [
  'id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'country',
  'city',
  'signup_date',
  'last_login_at',
  'lifetime_value',
  'is_active',
  'tags',
  'address',
];

function authed(core: SimulatorCore): Record<string, string> {
  const res = core.handle(
    { method: 'POST', path: '/login', query: {}, headers: {}, body: JSON.stringify({ username: 'demo', password: 'demo-password' }) },
    0,
  );
  return { authorization: `Bearer ${(JSON.parse(res.body) as { access_token: string }).access_token}` };
}

/** Every customer page's raw record texts, in served order, by splitting the page with a JSON parse. */
function pageRecords(core: SimulatorCore, query: Record<string, string>): { body: string; records: SimRecord[] } {
  const res = core.handle({ method: 'GET', path: '/customers', query, headers: authed(core), body: '' }, 0);
  expect(res.status).toBe(200);
  return { body: res.body, records: (JSON.parse(res.body) as { data: SimRecord[] }).data };
}

describe('simulated data', () => {
  it('generates clean customers with every documented field and plausible values', () => {
    for (let id = 1; id <= 300; id++) {
      const c = customerAt(5, id, 0);
      expect(Object.keys(c)).toEqual(FIELDS);
      expect(c.id).toBe(id);
      expect(c['email']).toMatch(/^[a-z.]+\d+@example\.com$/);
      expect(c['signup_date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Date.parse(c['last_login_at'] as string)).toBeGreaterThanOrEqual(Date.parse(c['signup_date'] as string));
      expect(typeof c['lifetime_value']).toBe('number');
      expect(typeof c['is_active']).toBe('boolean');
      expect(Array.isArray(c['tags'])).toBe(true);
      expect(Object.keys(c['address'] as object)).toEqual(['street', 'city', 'postal_code', 'country']);
    }
    expect(toJson(customerAt(5, 42, 0))).toBe(toJson(customerAt(5, 42, 0)));
    expect(toJson(customerAt(5, 42, 0))).not.toBe(toJson(customerAt(6, 42, 0)));
  });

  it('makes records dirty in every documented way, while pages stay valid JSON and ids stay clean', () => {
    const core = createSimulatorCore({ profile: 'calm', records: 1000, dirtyRate: 1 }, 0);
    const texts: string[] = [];
    const values: SimRecord[] = [];
    for (let page = 1; page <= 2; page++) {
      const { body, records } = pageRecords(core, { page: String(page), limit: '500' });
      texts.push(body);
      values.push(...records);
    }
    expect(values.map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const strings = values.flatMap((r) => JSON.stringify(r).match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((s) => JSON.parse(s) as string);
    const all = texts.join('');
    expect(values.some((r) => typeof r['email'] === 'string' && !/^[^@\s]+@[^@\s]+$/.test(r['email']))).toBe(true);
    expect(strings.some((s) => s !== s.trim() && s.trim() !== '')).toBe(true);
    expect(values.some((r) => typeof r['signup_date'] === 'string' && /^\d{2}[/.]\d{2}[/.]\d{4}$/.test(r['signup_date']))).toBe(true);
    expect(values.some((r) => typeof r['signup_date'] === 'number')).toBe(true);
    expect(values.some((r) => r['phone'] === null)).toBe(true);
    expect(strings.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    expect(strings.some((s) => s.length >= 10_000)).toBe(true);
    expect(values.some((r) => typeof r['lifetime_value'] === 'string')).toBe(true);
    expect(strings.some((s) => s.includes('"') && s.includes('\n'))).toBe(true);
    expect(strings.some((s) => s.startsWith('='))).toBe(true);
    expect(strings.some((s) => s.includes('\u0000'))).toBe(true);
    // A bare integer beyond 2^53 in the served bytes (JSON.parse would round it).
    expect(all).toMatch(/"lifetime_value":9007199\d{9,}[,}]/);
  });

  it('leaves the clean records of a dirty data set exactly as in a clean one', () => {
    let clean = 0;
    for (let id = 1; id <= 200; id++) {
      const dirty = toJson(customerAt(3, id, 0.5));
      const pristine = toJson(customerAt(3, id, 0));
      if (dirty === pristine) clean++;
    }
    expect(clean).toBeGreaterThan(60);
    expect(clean).toBeLessThan(140);
  });

  it('repeats records byte for byte on a later page, and the oracle is the unique set by id', () => {
    const options = { profile: 'calm', records: 400, duplicateRate: 0.2, dirtyRate: 0.3, seed: 11 } as const;
    const core = createSimulatorCore(options, 0);
    const firstSeen = new Map<number, { page: number; text: string }>();
    let repeats = 0;
    for (let page = 1; page <= 20; page++) {
      const { body, records } = pageRecords(core, { page: String(page), limit: '20' });
      const texts = recordTexts(body);
      expect(texts).toHaveLength(records.length);
      for (const record of records) {
        // Re-serialising a parsed record is exact unless it holds a big integer; compare the served text instead.
        const text = texts[records.indexOf(record)]!;
        const seen = firstSeen.get(record.id);
        if (seen) {
          repeats++;
          expect(page).toBeGreaterThan(seen.page);
          expect(text).toBe(seen.text);
        } else {
          firstSeen.set(record.id, { page, text });
        }
      }
      expect(records.length).toBeGreaterThanOrEqual(20);
    }
    expect(repeats).toBeGreaterThan(20);
    expect(core.stats().duplicatesServed).toBe(repeats);
    expect(core.stats().recordsServed).toBe(400 + repeats);
    const oracle = [...expectedCustomers(options)];
    expect(oracle.map((r) => r.id)).toEqual([...firstSeen.keys()].sort((a, b) => a - b));
    for (const record of oracle) expect(toJson(record)).toBe(firstSeen.get(record.id)!.text);
  });

  it('gives an order oracle that matches the cursor pages', () => {
    const options = { profile: 'calm', records: 50, orders: 35, seed: 4, duplicateRate: 0.3 } as const;
    const core = createSimulatorCore(options, 0);
    const headers = authed(core);
    const served = new Map<number, string>();
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = core.handle(
        { method: 'GET', path: '/orders', query: { limit: '10', ...(cursor ? { cursor } : {}) }, headers, body: '' },
        0,
      );
      const body = JSON.parse(res.body) as { data: SimRecord[]; metadata: { next_cursor: string | null } };
      for (const order of body.data) served.set(order.id, JSON.stringify(order));
      cursor = body.metadata.next_cursor;
    }
    const oracle = [...expectedOrders(options)];
    expect(oracle.map((o) => o.id)).toEqual(Array.from({ length: 35 }, (_, i) => i + 1));
    for (const order of oracle) expect(served.get(order.id)).toBe(toJson(order));
    expect(core.stats().duplicatesServed).toBeGreaterThan(0);
  });

  it('yields the oracle lazily: the first records of 10M come without generating the rest', () => {
    const iterator = expectedCustomers({ records: 10_000_000 });
    const first = iterator.next();
    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ id: 1 });
  });
});
