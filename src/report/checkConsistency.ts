import { formatCount } from './format.js';
import type { RunReport } from './runReport.js';

/** One cross-check between the report's own numbers. */
export interface ConsistencyCheck {
  readonly name: 'records' | 'pageRecords' | 'versions' | 'outputRows' | 'pages';
  readonly ok: boolean;
  /** The equation with its numbers, e.g. "received 10 = unique 8 + duplicates 1 + rejected 1". */
  readonly detail: string;
}

/**
 * The identities a correct run satisfies. A succeeded run's report must pass them all: the report
 * step fails the run on a broken one (renderers show every check, a broken one as a failure).
 */
export function checkConsistency(report: RunReport): ConsistencyCheck[] {
  const checks: ConsistencyCheck[] = [];
  const { received, unique, duplicates, withoutKey, refused, rejected } = report.records;
  const accounted = unique + duplicates + withoutKey + refused;
  const equation =
    `received ${formatCount(received)} ${received === accounted ? '=' : '≠'} ` +
    `unique ${formatCount(unique)} + duplicates ${formatCount(duplicates)} + without a key ${formatCount(withoutKey)} + refused ${formatCount(refused)}`;
  checks.push({
    name: 'records',
    ok: received === accounted,
    detail:
      received === accounted
        ? equation
        : `${equation} (${formatCount(Math.abs(received - accounted))} ${Math.abs(received - accounted) === 1 ? 'record' : 'records'} ${received > accounted ? 'unaccounted for' : 'counted twice'})`,
  });
  const held = report.pages.records;
  if (held !== undefined) {
    // Each page's records are staged with the page's checkpoint row, which counts them: a page
    // staged twice, or in part, breaks this, whatever the keys make of its records.
    checks.push({
      name: 'pageRecords',
      ok: received === held,
      detail: `received ${formatCount(received)} ${received === held ? '=' : '≠'} records the staged pages held ${formatCount(held)}`,
    });
  }
  const conflicts = report.records.conflicts;
  if (conflicts !== undefined) {
    // Conflicting versions are duplicates that differ from the version kept: never more than the duplicates, at least one per key.
    const copies = duplicates - conflicts.versions;
    const ok = copies >= 0 && conflicts.keys <= conflicts.versions;
    checks.push({
      name: 'versions',
      ok,
      detail:
        `duplicates ${formatCount(duplicates)} ${copies >= 0 ? '=' : '≠'} exact copies ${formatCount(Math.max(copies, 0))} + ` +
        `conflicting versions ${formatCount(conflicts.versions)} (of ${formatCount(conflicts.keys)} ${conflicts.keys === 1 ? 'key' : 'keys'})`,
    });
  }
  if (report.output) {
    // A record a cleaning rule rejects is one of the unique records, kept aside instead of written.
    const { rows } = report.output;
    const ok = rows + rejected === unique;
    checks.push({
      name: 'outputRows',
      ok,
      detail: `rows in the file ${formatCount(rows)} + rejected ${formatCount(rejected)} ${ok ? '=' : '≠'} unique ${formatCount(unique)}`,
    });
  }
  // Only a finished run has staged every page; a failed one stops part-way by design. Pages past
  // the announced total are the empty page that shows the end (a resumed run whose pages were all
  // committed asks for the next one): more is allowed, fewer means pages are missing.
  const { total, staged, skippedOnResume } = report.pages;
  if (report.status === 'succeeded' && total !== undefined) {
    // An API announcing no pages still has its first page fetched: that is how the total is learnt.
    const announced = Math.max(total, 1);
    const done = staged + skippedOnResume;
    const ok = done >= announced;
    checks.push({
      name: 'pages',
      ok,
      detail:
        `pages staged ${formatCount(staged)} + skipped on resume ${formatCount(skippedOnResume)} ` +
        `${ok ? '≥' : '<'} pages announced by the API ${formatCount(announced)}${total === 0 ? ' (it announced none: the first page is always fetched)' : ''}`,
    });
  }
  return checks;
}
