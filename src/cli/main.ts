#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../errors.js';
import { createAppLogger, defaultSecretRegistry, FILE_ONLY, type AppLogger } from '../logging/index.js';
import { registerDemo } from './demo.js';
import { registerDiagram } from './diagram.js';
import { registerFirstPage } from './firstPage.js';
import { exitCodes } from './runAndReport.js';
import heap from './heap.cjs';
import { registerRun } from './run.js';
import { registerQuery } from './query.js';
import { registerServe } from './serve.js';

// The AWS SDK version is pinned on purpose for Node 20: its notice about later versions is noise here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
// Set already by bin.cjs; here for main.js run directly (`npx tsx src/cli/main.ts`), late but still of use.
heap.favourSmallHeap();

let appLogger: AppLogger | undefined;
/** Built on first use, so that `--help`, `serve` and `diagram` start no log transport. */
const getAppLogger = (options: { level?: string; dir?: string } = {}): AppLogger =>
  (appLogger ??= createAppLogger({
    level: (options.level ?? process.env['INGEST_LOG_LEVEL'] ?? 'info') as 'info',
    file: { dir: options.dir ?? process.env['INGEST_LOG_DIR'] ?? 'logs' },
  }));

/** Flushes the logs, then exits with `code`. */
async function exit(code: number): Promise<never> {
  await appLogger?.close();
  process.exit(code);
}

const program = new Command()
  .name('ingest')
  .description('Pull every record out of an unstable, rate-limited REST API and deliver one verified file to S3.')
  .version('0.1.0')
  .showHelpAfterError()
  // "unknown option '--pasword=x'" would print what may be a secret typed under a mistyped name: the value goes.
  .configureOutput({ outputError: (text, write) => write(text.replace(/(unknown option '--[^'=]+)=[^']*'/g, "$1=…'")) })
  .exitOverride();

registerRun(program, getAppLogger, exit);
registerDemo(program, getAppLogger, exit);
registerServe(program);
registerFirstPage(program, () => getAppLogger());
registerDiagram(program);
registerQuery(program);

try {
  await program.parseAsync(process.argv);
  await appLogger?.close();
} catch (error: unknown) {
  if (error instanceof CommanderError) await exit(error.exitCode === 0 ? 0 : exitCodes.config);
  if (error instanceof ConfigError) {
    process.stderr.write(`ingest: ${error.message}\n`);
    await exit(exitCodes.config);
  }
  const message = defaultSecretRegistry.redact(error instanceof Error ? error.message : String(error));
  // The stack goes to the error log file; the console gets the one sentence below.
  appLogger?.logger.error({ err: error, [FILE_ONLY]: true }, message);
  process.stderr.write(`ingest: ${message}\n`);
  await exit(exitCodes.failed);
}
