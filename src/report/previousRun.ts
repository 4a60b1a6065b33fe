import { formatCount, formatDuration } from './format.js';
import type { ColumnQuality, PreviousRun, RunReport } from './runReport.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The figures of an earlier JSON report to compare with, or undefined when the text is not the
 * report of a successful run of `dataset` (a failed run, another tool's object, a damaged one).
 */
export function previousRunFrom(text: string, uri: string, dataset: string, current: readonly ColumnQuality[]): PreviousRun | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.dataset !== dataset || parsed.status !== 'succeeded' || typeof parsed.runId !== 'string')
    return undefined;
  const { records, requests, throughput, quality } = parsed;
  if (!isRecord(records) || !isRecord(requests) || !isRecord(throughput) || !Array.isArray(quality)) return undefined;
  const figures = [parsed.durationMs, records.received, records.unique, requests.rateLimited, throughput.recordsPerSecond].map(num);
  const [durationMs, received, unique, rateLimited, recordsPerSecond] = figures;
  if (
    durationMs === undefined ||
    received === undefined ||
    unique === undefined ||
    rateLimited === undefined ||
    recordsPerSecond === undefined
  )
    return undefined;
  const columns = quality
    .filter(isRecord)
    .flatMap((q) => (typeof q.column === 'string' && typeof q.type === 'string' ? [{ column: q.column, type: q.type }] : []));
  return {
    runId: parsed.runId,
    uri,
    finishedAt: typeof parsed.finishedAt === 'string' ? parsed.finishedAt : '',
    durationMs,
    recordsReceived: received,
    recordsUnique: unique,
    rateLimited,
    recordsPerSecond,
    columns: compareColumns(columns, current),
  };
}

/** Columns added, removed and retyped since the previous run (by name). */
export function compareColumns(
  before: readonly Pick<ColumnQuality, 'column' | 'type'>[],
  after: readonly Pick<ColumnQuality, 'column' | 'type'>[],
): PreviousRun['columns'] {
  const old = new Map(before.map((c) => [c.column, c.type]));
  const now = new Map(after.map((c) => [c.column, c.type]));
  return {
    added: [...now.keys()].filter((c) => !old.has(c)),
    removed: [...old.keys()].filter((c) => !now.has(c)),
    retyped: [...now].flatMap(([column, to]) => {
      const from = old.get(column);
      return from !== undefined && from !== to ? [{ column, from, to }] : [];
    }),
  };
}

export interface ComparisonRow {
  readonly label: string;
  readonly previous: string;
  readonly current: string;
  readonly change: string;
}

function change(previous: number, current: number, digits = 0): string {
  const diff = current - previous;
  const sign = diff > 0 ? '+' : diff < 0 ? '−' : '±';
  const pct = previous !== 0 ? ` (${sign}${Math.abs((diff / previous) * 100).toFixed(1)}%)` : '';
  return `${sign}${formatCount(Math.abs(diff), digits)}${pct}`;
}

/** This run against the previous one, one row per figure, formatted for people. */
export function comparisonRows(report: RunReport, previous: PreviousRun): ComparisonRow[] {
  const rows = (label: string, before: number, now: number, show: (v: number) => string, digits = 0): ComparisonRow => ({
    label,
    previous: show(before),
    current: show(now),
    change: label === 'Duration' ? `${now >= before ? '+' : '−'}${formatDuration(Math.abs(now - before))}` : change(before, now, digits),
  });
  const count = (v: number): string => formatCount(v);
  const c = previous.columns;
  const schema = [
    ...c.added.map((col) => `+${col}`),
    ...c.removed.map((col) => `−${col}`),
    ...c.retyped.map((r) => `${r.column}: ${r.from} → ${r.to}`),
  ];
  return [
    rows('Records received', previous.recordsReceived, report.records.received, count),
    rows('Unique records', previous.recordsUnique, report.records.unique, count),
    rows('Duration', previous.durationMs, report.durationMs, formatDuration),
    rows('Records per second', previous.recordsPerSecond, report.throughput.recordsPerSecond, (v) => formatCount(v, 1), 1),
    rows('Rate limited (429)', previous.rateLimited, report.requests.rateLimited, count),
    {
      label: 'Columns',
      previous: count(report.quality.length - c.added.length + c.removed.length),
      current: count(report.quality.length),
      change: schema.length === 0 ? 'unchanged' : schema.join(', '),
    },
  ];
}
