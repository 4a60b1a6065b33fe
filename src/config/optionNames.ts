/** `pageSize` -> `INGEST_PAGE_SIZE`: the variable that sets a run option. */
export const envVarName = (key: string): string => `INGEST_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** `pageSize` -> `--page-size`: the flag that sets a run option (commander maps it back). */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
