/**
 * The names a file's columns are written under: a record's field keeps its name unless the name is
 * taken, then it gets the first free `<name>__2`, `<name>__3`... (docs/reliability.md, "Field names
 * are data"). Never a silent merge, never DuckDB's own `name_1`.
 */
import type { RenamedField } from '../report/runReport.js';
import type { ColumnPlan } from './columnPlan.js';
import { lineageColumns } from './columnPlan.js';

/**
 * How names are compared: `exact` in NDJSON and JSON (their keys are case-sensitive, so `Name`
 * and `name` are two keys), `caseless` in Parquet and CSV, whose readers (DuckDB, Spark, Athena)
 * match column names regardless of case. Caseless folds with Unicode lower case, more than
 * DuckDB's ASCII folding, so no reader merges two names written here.
 */
export type NameRule = 'exact' | 'caseless';

const fold = (rule: NameRule, name: string): string => (rule === 'caseless' ? name.toLowerCase() : name);

/**
 * `plans` (lineage aside) with their names made unique under `rule`, in order: the product's
 * lineage columns first (so no field takes them), then each plan in turn, the first to want a
 * name keeping it. A plan wants its record field's name (`key`) in the exact rule (JSON keeps every key as it
 * came) and its column name in the caseless one (the dataset schema's name, stable across runs).
 * Returns the renamed fields, each with why.
 */
export function nameColumns<P extends ColumnPlan>(plans: readonly P[], rule: NameRule): { plans: P[]; renamed: RenamedField[] } {
  const taken = new Map<string, string>();
  const lineage = new Set(lineageColumns.map((c) => c.name));
  for (const name of lineage) taken.set(fold(rule, name), name);
  const renamed: RenamedField[] = [];
  const named = plans.map((plan) => {
    const wanted = rule === 'exact' ? (plan.key ?? plan.name) : plan.name;
    let name = wanted;
    for (let n = 2; taken.has(fold(rule, name)); n++) name = `${wanted}__${n}`;
    const holder = taken.get(fold(rule, wanted));
    taken.set(fold(rule, name), name);
    if (name !== wanted || (plan.key !== undefined && name !== plan.key)) {
      const field = plan.key ?? plan.name;
      renamed.push({ field, column: name, reason: reasonFor(field, holder, lineage) });
    }
    return name === plan.name ? plan : { ...plan, name };
  });
  return { plans: named, renamed };
}

/** Why `field` is not written under its own name: the name `holder` that took it first. */
function reasonFor(field: string, holder: string | undefined, lineage: ReadonlySet<string>): string {
  if (holder === undefined) return 'so named in the dataset schema';
  if (lineage.has(holder)) return `${holder} is the product's lineage column`;
  if (holder === field) return `column ${holder} has the name`;
  return `column ${holder} has the name but for case, and Parquet and CSV names ignore case`;
}
