/** Whether a dotted path is the value itself: `$` or the empty path. */
export const isRootPath = (path: string): boolean => path === '' || path === '$';

/** The value at a dotted path (`metadata.total_pages`); `$` (or the empty path) is the value itself. */
export function readPath(value: unknown, path: string): unknown {
  if (isRootPath(path)) return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
