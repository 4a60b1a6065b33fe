import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { resolveRunOptions } from '../config/loadRunConfig.js';
import { runOptionDefaults } from '../config/runConfig.js';
import type { AppLogger } from '../logging/index.js';
import { duckdbSnippet } from '../report/duckdbSnippet.js';
import { startSimulator } from '../simulator/startSimulator.js';
import { addInspectOptions, inspectOption, type InspectFlags } from './inspectOptions.js';
import { runAndReport } from './runAndReport.js';

interface DemoFlags extends InspectFlags {
  readonly records: string;
  readonly profile: string;
  readonly seed: string;
  readonly format: string;
  readonly transform: string;
  readonly dataDir: string;
  readonly progress: boolean;
}

const DEMO_BUCKET = 'demo-lake';
/**
 * The package's folder, the first above `from` holding a package.json: this module runs from
 * src/cli in a checkout and from dist/src/cli when built or installed.
 */
function packageRoot(from: string): string {
  const up = dirname(from);
  if (existsSync(join(from, 'package.json')) || up === from) return from;
  return packageRoot(up);
}

/** The worked example of a source file: the demo runs its customers. */
export const SIMULATOR_SOURCE = join(packageRoot(dirname(fileURLToPath(import.meta.url))), 'examples', 'simulator.source.yaml');

/**
 * The local S3 server, loaded only here: s3rver (koa, winston…) is not installed with the
 * package (an optional peer dependency), so a missing one gets a sentence saying how to add it.
 */
export async function loadLocalS3<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !/'s3rver'/.test(String((error as Error).message))) throw error;
    throw new Error(
      'ingest demo needs the local S3 server s3rver, which `npm install ingest` leaves out: run `npm install s3rver@3.7.1` beside it (a checkout has it after `npm ci`)',
      { cause: error },
    );
  }
}

/**
 * `ingest demo` (`npm start`): the whole product on one machine — the unstable API simulator,
 * an in-process S3-compatible server storing under the data directory, one full run, its report.
 */
export function registerDemo(
  program: Command,
  appLogger: (options: { level: string; dir: string }) => AppLogger,
  exit: (code: number) => Promise<never>,
): void {
  const command = program
    .command('demo')
    .description('run the whole pipeline against a built-in flaky API and a local S3-compatible server')
    .option('--records <n>', 'customers the simulated API holds', '100000')
    .option('--profile <name>', 'simulator profile: calm, flaky or hostile', 'flaky')
    .option('--seed <n>', 'simulator seed', '1')
    .option('--format <format>', 'parquet, ndjson, csv or json', runOptionDefaults.format)
    .option('--transform <mode>', 'none (ELT) or clean (ETL)', runOptionDefaults.transform)
    .option(
      '--data-dir <dir>',
      'where the demo keeps everything (its staging, output, reports and s3 are cleared at start)',
      join('data', 'demo'),
    )
    .option('--no-progress', 'no live progress display');
  addInspectOptions(command);
  command.action(async (flags: DemoFlags) => {
    const inspect = inspectOption(flags);
    const app = appLogger({ level: 'info', dir: 'logs' });
    const logger = app.for('demo');
    // Only what a demo writes: `--data-dir .` (or a typo for a real directory) must not wipe it.
    for (const part of ['staging', 'output', 'reports', 's3']) await rm(join(flags.dataDir, part), { recursive: true, force: true });
    // Both servers start at once (a few hundred ms of a demo's start-up); one that started is closed if the other fails.
    const [started, local] = await Promise.allSettled([
      startSimulator({ profile: flags.profile as 'flaky', records: Number(flags.records), seed: Number(flags.seed) }),
      loadLocalS3(() => import('../storage/startLocalS3.js')).then(({ startLocalS3 }) =>
        startLocalS3({ directory: join(flags.dataDir, 's3'), buckets: [DEMO_BUCKET] }),
      ),
    ]);
    if (started.status === 'rejected' || local.status === 'rejected') {
      if (started.status === 'fulfilled') await started.value.close();
      if (local.status === 'fulfilled') await local.value.close();
      throw started.status === 'rejected' ? started.reason : (local as PromiseRejectedResult).reason;
    }
    const [simulator, s3] = [started.value, local.value];
    logger.info(`simulated API (${flags.profile}, ${flags.records} customers) at ${simulator.url}; local S3 at ${s3.endpoint}`);
    let code: number;
    try {
      const run = await resolveRunOptions(
        {
          source: SIMULATOR_SOURCE,
          bucket: DEMO_BUCKET,
          s3Endpoint: s3.endpoint,
          s3ForcePathStyle: true,
          dataDir: flags.dataDir,
          format: flags.format as 'parquet',
          transform: flags.transform as 'none',
          runId: 'demo',
        },
        new Date(),
        { SIMULATOR_PASSWORD: 'demo-password' },
      );
      const outcome = await runAndReport(
        { ...run, api: { ...run.api, baseUrl: simulator.url }, resources: run.resources.filter((r) => r.name === 'customers') },
        { logger, inspect, progress: flags.progress, setLiveLine: (line) => app.setLiveLine(line), s3Credentials: s3.credentials },
      );
      code = outcome.code;
      process.stdout.write(`\nThe report: ${join(flags.dataDir, 'reports', 'customers', 'demo.report.md')} (also .json, .html)\n`);
      process.stdout.write(`Objects in the local S3 bucket: ${join(s3.directory, DEMO_BUCKET)}\n`);
      const queries = outcome.report.resources.flatMap((r) => duckdbSnippet(r).local);
      if (queries.length > 0)
        process.stdout.write(
          `Query the file (DuckDB is built in; in a checkout: npm run ingest -- query …):\n${queries.map((c) => `  ${c}`).join('\n')}\n`,
        );
    } finally {
      await simulator.close();
      await s3.close();
    }
    await exit(code);
  });
}
