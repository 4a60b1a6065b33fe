import { byCodeUnits } from '../runtime/byCodeUnits.js';

/** The report's top-level fields in reading order; anything else follows alphabetically. */
const TOP_LEVEL_ORDER = [
  'status',
  'error',
  'runId',
  'dataset',
  'endpoint',
  'startedAt',
  'finishedAt',
  'durationMs',
  'resumed',
  'timeline',
  'requests',
  'pages',
  'records',
  'throughput',
  'output',
  'delivery',
  'quality',
  'anomalies',
];

function normalise(value: unknown, depth: number, order: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item, depth + 1, order));
  if (value === null || typeof value !== 'object') return value;
  const rank = (key: string): number => (order.includes(key) ? order.indexOf(key) : order.length);
  const keys = Object.keys(value).sort(depth === 0 ? (a, b) => rank(a) - rank(b) || byCodeUnits(a, b) : byCodeUnits);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = normalise(v, depth + 1, order);
  }
  return out;
}

/**
 * Pretty JSON whose key order does not depend on how the object was built: the report's
 * fields in reading order at the top (`topLevelOrder`; the run report's by default), every
 * nested object's keys sorted. Two runs with the same numbers give byte-identical files, so
 * reports diff cleanly.
 */
export function stableJson(value: unknown, topLevelOrder: readonly string[] = TOP_LEVEL_ORDER): string {
  return `${JSON.stringify(normalise(value, 0, topLevelOrder), null, 2)}\n`;
}
