import type { Command } from 'commander';
import { ConfigError } from '../errors.js';

export interface InspectFlags {
  readonly inspect?: boolean;
  readonly inspectPort?: string;
}

/** `--inspect` and `--inspect-port`, shared by `run` and `demo`. */
export function addInspectOptions(command: Command): void {
  command
    .option('--inspect', 'show the run machine live in the Stately inspector (hosted page: needs a browser online)')
    .option('--inspect-port <port>', 'port of the local inspector bridge (implies --inspect; default: a free port)');
}

/** false, true (a free port) or the port asked for. */
export function inspectOption(flags: InspectFlags): boolean | number {
  if (flags.inspectPort === undefined) return flags.inspect === true;
  const port = Number(flags.inspectPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConfigError([`--inspect-port must be a port number from 1 to 65535, got "${flags.inspectPort}"`]);
  return port;
}
