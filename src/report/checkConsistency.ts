import { formatCount } from './format.js';
import type { RunReport } from './runReport.js';

/** One cross-check between the report's own numbers. */
export interface ConsistencyCheck {
  readonly name: 'records' | 'outputRows' | 'pages';
  readonly ok: boolean;
  /** The equation with its numbers, e.g. "received 10 = unique 8 + duplicates 1 + rejected 1". */
  readonly detail: string;
}

/**
 * The identities a correct run satisfies. Renderers show every check, and a failed one as an
 * explicit warning: a report whose numbers do not add up must say so rather than look fine.
 */
export function checkConsistency(report: RunReport): ConsistencyCheck[] {
  const checks: ConsistencyCheck[] = [];
  const { received, unique, duplicates, rejected } = report.records;
  const accounted = unique + duplicates + rejected;
  const equation =
    `received ${formatCount(received)} ${received === accounted ? '=' : '≠'} ` +
    `unique ${formatCount(unique)} + duplicates ${formatCount(duplicates)} + rejected ${formatCount(rejected)}`;
  checks.push({
    name: 'records',
    ok: received === accounted,
    detail:
      received === accounted
        ? equation
        : `${equation} (${formatCount(Math.abs(received - accounted))} ${Math.abs(received - accounted) === 1 ? 'record' : 'records'} ${received > accounted ? 'unaccounted for' : 'counted twice'})`,
  });
  if (report.output) {
    const { rows } = report.output;
    checks.push({
      name: 'outputRows',
      ok: rows === unique,
      detail: `rows in the file ${formatCount(rows)} ${rows === unique ? '=' : '≠'} unique records ${formatCount(unique)}`,
    });
  }
  // Only a finished run has staged every page; a failed one stops part-way by design.
  const { total, staged, skippedOnResume } = report.pages;
  if (report.status === 'succeeded' && total !== undefined) {
    const done = staged + skippedOnResume;
    checks.push({
      name: 'pages',
      ok: done === total,
      detail:
        `pages staged ${formatCount(staged)} + skipped on resume ${formatCount(skippedOnResume)} ` +
        `${done === total ? '=' : '≠'} pages announced by the API ${formatCount(total)}`,
    });
  }
  return checks;
}
