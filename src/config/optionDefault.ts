import type { ZodType } from 'zod';

/** The default a run option's schema declares (in `runConfigSchema`), or undefined when it has none. */
export function optionDefault(schema: ZodType): unknown {
  const def = schema.def as { type: string; defaultValue?: unknown };
  return def.type === 'default' ? def.defaultValue : undefined;
}
