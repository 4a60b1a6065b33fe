#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError, IngestError } from '../errors.js';
import { createAppLogger, type AppLogger } from '../logging/index.js';
import { registerDiagram } from './diagram.js';
import { registerFirstPage } from './firstPage.js';
import { registerServe } from './serve.js';

// The AWS SDK version is pinned on purpose for Node 20: its notice about later versions is noise here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

let appLogger: AppLogger | undefined;
/** Built on first use, so that `--help` and `diagram` start no log transport. */
const getAppLogger = (): AppLogger =>
  (appLogger ??= createAppLogger({
    level: (process.env['INGEST_LOG_LEVEL'] as 'info' | undefined) ?? 'info',
    file: { dir: process.env['INGEST_LOG_DIR'] ?? 'logs' },
  }));

const program = new Command()
  .name('ingest')
  .description('Pull every record out of an unstable, rate-limited REST API and deliver one verified file to S3.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerFirstPage(program, getAppLogger);
registerDiagram(program);

try {
  await program.parseAsync(process.argv);
  await appLogger?.close();
} catch (error: unknown) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof ConfigError) {
    process.stderr.write(`ingest: ${error.message}\n`);
    await appLogger?.close();
    process.exit(2);
  }
  const message = error instanceof IngestError ? error.message : error instanceof Error ? error.message : String(error);
  appLogger?.logger.error({ err: error }, message);
  process.stderr.write(`ingest: ${message}\n`);
  await appLogger?.close();
  process.exit(1);
}
