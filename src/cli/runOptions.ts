import { Option, type Command } from 'commander';
import { optionDefault } from '../config/optionDefault.js';
import { envVarName, flagName } from '../config/optionNames.js';
import { runConfigSchema, runOptionHelp, secretKeys } from '../config/runConfig.js';

/** Boolean options take no value on the command line. */
const booleanKeys = new Set(['s3ForcePathStyle']);

/**
 * Adds one flag per run option (secrets excepted: they come from env or files), each with its
 * help line and variable name, so the schema stays the one place options are declared.
 */
export function addRunOptions(command: Command): Command {
  const skipped: readonly string[] = secretKeys;
  for (const [key, schema] of Object.entries(runConfigSchema.shape)) {
    if (skipped.includes(key)) continue;
    const flag = booleanKeys.has(key) ? flagName(key) : `${flagName(key)} <value>`;
    const fallback = optionDefault(schema);
    // Shown, not set: a commander default would override the config file and the environment.
    const shown = fallback === undefined || fallback === '' ? '' : ` (default: ${String(fallback)})`;
    command.addOption(new Option(flag, `${runOptionHelp[key as keyof typeof runOptionHelp]}${shown} [${envVarName(key)}]`));
  }
  return command;
}

/** The run-option values a parsed command holds, by config key. */
export function runFlagValues(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const skipped: readonly string[] = secretKeys;
  return Object.fromEntries(
    Object.keys(runConfigSchema.shape)
      .filter((key) => !skipped.includes(key) && options[key] !== undefined)
      .map((key) => [key, options[key]]),
  );
}
