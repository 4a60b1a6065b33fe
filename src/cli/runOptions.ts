import { Option, type Command } from 'commander';
import { optionDefault } from '../config/optionDefault.js';
import { envVarName, flagName } from '../config/optionNames.js';
import { runConfigSchema, runOptionInfo, runOptionKind, type RunOptionKey } from '../config/runConfig.js';

const runOptionKeys = Object.keys(runConfigSchema.shape) as RunOptionKey[];

/** Options that have a flag: all but the secrets (they come from env or files). */
const flagKeys = runOptionKeys.filter((key) => runOptionInfo(key).secret !== true);

/**
 * Adds one flag per run option (secrets excepted), each with its help line, default and variable
 * name, all read from the option's declaration in `runConfigSchema`. Boolean options take no value;
 * one that is on by default also has a `--no-` flag.
 */
export function addRunOptions(command: Command): Command {
  for (const key of flagKeys) {
    const flag = runOptionKind(key) === 'boolean' ? flagName(key) : `${flagName(key)} <value>`;
    const fallback = optionDefault(runConfigSchema.shape[key]);
    // Shown, not set: a commander default would override the config file and the environment.
    const shown = fallback === undefined || fallback === '' ? '' : ` (default: ${String(fallback)})`;
    command.addOption(new Option(flag, `${runOptionInfo(key).help}${shown} [${envVarName(key)}]`));
    // A boolean on by default is turned off by its --no- flag (declared after it, so neither flag sets a default).
    if (runOptionKind(key) === 'boolean' && fallback === true)
      command.addOption(new Option(`--no-${flagName(key).slice(2)}`, `turn ${flagName(key)} off`));
  }
  return command;
}

/** The run-option values a parsed command holds, by config key. */
export function runFlagValues(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(flagKeys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}
