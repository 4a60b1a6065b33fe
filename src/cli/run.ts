import { Option, type Command } from 'commander';
import { loadRunConfig } from '../config/loadRunConfig.js';
import { secretKeys } from '../config/runConfig.js';
import type { AppLogger } from '../logging/index.js';
import { addInspectOptions, inspectOption, type InspectFlags } from './inspectOptions.js';
import { runAndReport } from './runAndReport.js';
import { addRunOptions, runFlagValues } from './runOptions.js';

interface RunFlags extends InspectFlags {
  readonly config?: string;
  readonly progress: boolean;
}

/** `ingest run`: one ingestion, configured by flags, INGEST_* variables and a config file. */
export function registerRun(
  program: Command,
  appLogger: (options: { level: string; dir: string }) => AppLogger,
  exit: (code: number) => Promise<never>,
): void {
  const command = program
    .command('run')
    .description('ingest every record of an endpoint into one verified file in S3, with a report')
    .option('--config <file>', 'JSON file of run options (same keys as the flags, camelCase) [INGEST_CONFIG]')
    .option('--no-progress', 'no live progress display');
  addInspectOptions(command);
  addRunOptions(command);
  // Hidden, so that `--password=x` is refused by the config check (which never echoes a value)
  // instead of commander's "unknown option '--password=x'", which would print the secret.
  for (const key of secretKeys) command.addOption(new Option(`--${key} <value>`).hideHelp());
  command.addHelpText(
    'after',
    '\nSecrets come only from the environment or files: INGEST_PASSWORD / --password-file, INGEST_TOKEN / --token-file;\nS3 credentials from the AWS standard chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profiles, roles).\nExit codes: 0 success, 1 failed run, 2 bad configuration, 130/143 stopped by SIGINT/SIGTERM.',
  );
  command.action(async (flags: RunFlags & Record<string, unknown>) => {
    const configFile = flags.config ?? process.env['INGEST_CONFIG'];
    const config = await loadRunConfig({
      flags: { ...runFlagValues(flags), ...Object.fromEntries(secretKeys.map((key) => [key, flags[key]])) },
      env: process.env,
      ...(configFile ? { configFile } : {}),
      now: new Date(),
    });
    const app = appLogger({ level: config.logLevel, dir: config.logDir });
    const { code } = await runAndReport(config, {
      logger: app.for('cli'),
      inspect: inspectOption(flags),
      progress: flags.progress,
      setLiveLine: (line) => app.setLiveLine(line),
    });
    await exit(code);
  });
}
