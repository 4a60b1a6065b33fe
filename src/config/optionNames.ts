/** `pageSize` -> `INGEST_PAGE_SIZE`: the variable that sets a run option. */
export const envVarName = (key: string): string => `INGEST_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** `pageSize` -> `--page-size`: the flag that sets a run option (commander maps it back). */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The paginator's keys that shorthand flags set (shorthandSource.ts): `type` by --pagination, `pageSize` by --page-size. */
const paginatorFlags: Readonly<Record<string, string>> = { 'paginator.type': 'pagination', 'paginator.pageSize': 'pageSize' };

/**
 * A stored run option as a user sets it: its flag (`format` -> `--format`, `paginator.pageSize` ->
 * `--page-size`), or the source file's key when no flag sets it (`paginator.sizeParam`).
 */
export const optionSetter = (key: string): string =>
  paginatorFlags[key] !== undefined ? flagName(paginatorFlags[key]) : key.includes('.') ? key : flagName(key);
