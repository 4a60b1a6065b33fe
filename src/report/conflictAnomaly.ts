import { formatCount } from './format.js';
import type { VersionConflicts } from './runReport.js';

/**
 * The anomaly naming the keys seen again with different content, or undefined when there are
 * none: e.g. `2 keys arrived in conflicting versions (3 dropped records differ from the version
 * kept, the first by page and position; option onConflict): "7" (pages 1, 3; kept 1), "9" (pages 2, 4; kept 2)`.
 */
export function conflictAnomaly(conflicts: VersionConflicts | undefined): string | undefined {
  if (conflicts === undefined || conflicts.keys === 0) return undefined;
  const { keys, versions, kept, examples } = conflicts;
  const named = examples.map((e) => `${JSON.stringify(e.key)} (pages ${e.pages.join(', ')}; kept ${e.keptPage})`);
  const more = keys > examples.length ? `, and ${formatCount(keys - examples.length)} more` : '';
  return (
    `${formatCount(keys)} ${keys === 1 ? 'key' : 'keys'} arrived in conflicting versions ` +
    `(${formatCount(versions)} dropped ${versions === 1 ? 'record differs' : 'records differ'} from the version kept, ` +
    `the ${kept} by page and position; option onConflict): ${named.join(', ')}${more}`
  );
}
