import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import type { LatencyDistribution, OutageWindow, SimulatorOptions } from '../simulator/simulatorOptions.js';
import { startSimulator } from '../simulator/startSimulator.js';

type Parser = (value: string, previous: unknown) => unknown;

const int: Parser = (value) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return Number(value);
};
const num: Parser = (value) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};

/** `none`, `fixed:MS`, `uniform:MIN-MAX` or `lognormal:MEDIAN,SIGMA` (ms). */
export function parseLatency(value: string): LatencyDistribution {
  const [kind, args = ''] = value.split(':', 2) as [string, string?];
  const nums = args.split(/[-,]/).map(Number);
  const [a, b] = nums;
  const ok = nums.every((n) => Number.isFinite(n) && n >= 0) && args !== '';
  if (kind === 'none' && args === '') return { kind: 'none' };
  if (kind === 'fixed' && ok && nums.length === 1 && a !== undefined) return { kind: 'fixed', ms: Math.round(a) };
  if (kind === 'uniform' && ok && nums.length === 2 && a !== undefined && b !== undefined)
    return { kind: 'uniform', minMs: Math.round(a), maxMs: Math.round(b) };
  if (kind === 'lognormal' && ok && nums.length === 2 && a !== undefined && b !== undefined)
    return { kind: 'lognormal', medianMs: a, sigma: b };
  throw new InvalidArgumentError('expected none, fixed:MS, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA');
}

/** `START-END` in seconds since start (e.g. `30-40`); `none` clears the profile's windows. Repeatable. */
export function parseOutage(value: string, previous: unknown): OutageWindow[] {
  if (value === 'none') return [];
  const match = /^(\d+(?:\.\d+)?)s?-(\d+(?:\.\d+)?)s?$/.exec(value);
  if (!match?.[1] || !match[2]) throw new InvalidArgumentError('expected START-END in seconds, e.g. 30-40, or none');
  const list = Array.isArray(previous) ? (previous as OutageWindow[]) : [];
  return [...list, { startMs: Math.round(Number(match[1]) * 1000), endMs: Math.round(Number(match[2]) * 1000) }];
}

/** One flag per simulator knob: [option key, flag, help, parser]; booleans have a `--no-` twin. */
const knobFlags: readonly (readonly [keyof SimulatorOptions, string, string, Parser | 'boolean' | 'string'])[] = [
  ['profile', '--profile <name>', 'calm | flaky | hostile (default flaky)', 'string'],
  ['seed', '--seed <n>', 'seed of data, duplicates, faults and latency (default 1)', int],
  ['records', '--records <n>', 'number of customers (default 100000)', int],
  ['orders', '--orders <n>', 'number of orders (default: --records)', int],
  ['maxPageSize', '--max-page-size <n>', 'largest accepted limit; above it is 400 (default 1000)', int],
  ['defaultPageSize', '--default-page-size <n>', 'limit when none is given (default 100)', int],
  ['username', '--username <name>', 'login user (default demo)', 'string'],
  ['password', '--password <secret>', 'login password (default demo-password; or env INGEST_SERVE_PASSWORD)', 'string'],
  ['tokenLifetimeSeconds', '--token-lifetime <s>', 'token lifetime, seconds (calm 3600, flaky 60, hostile 5)', int],
  ['advertisedLifetimeSeconds', '--advertised-lifetime <s>', 'expires_in that /login announces (default: the real lifetime)', int],
  ['rateLimit', '--rate-limit <rps>', 'requests/s per client, 0 = off (calm 0, flaky 10, hostile 4)', num],
  ['rateLimitBurst', '--rate-limit-burst <n>', 'token-bucket capacity (flaky 10, hostile 4)', int],
  ['rateLimitHeaders', '--rate-limit-headers', 'send RateLimit-Limit/-Remaining/-Reset (default on)', 'boolean'],
  ['rateLimitPolicyHeader', '--rate-limit-policy', 'send RateLimit-Policy advertising the limit (default off)', 'boolean'],
  ['retryAfterDateRate', '--retry-after-date-rate <p>', 'share of 429s with an HTTP-date Retry-After (flaky 0.2, hostile 0.5)', num],
  [
    'latency',
    '--latency <dist>',
    'none | fixed:MS | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA (calm none, flaky uniform:20-200, hostile lognormal:80,0.8)',
    parseLatency,
  ],
  ['slowRate', '--slow-rate <p>', 'share of requests delayed by --slow-ms more (hostile 0.01)', num],
  ['slowMs', '--slow-ms <ms>', 'extra delay of the slow tail (default 90000)', int],
  ['serverErrorRate', '--server-error-rate <p>', 'share answered 500 (or 502) (flaky 0.05, hostile 0.05)', num],
  ['badGatewayShare', '--bad-gateway-share <p>', 'share of server errors sent as 502 (default 0.3)', num],
  ['unavailableRate', '--unavailable-rate <p>', 'share answered 503 (flaky 0.05, hostile 0.05)', num],
  ['unavailableRetryAfterRate', '--unavailable-retry-after-rate <p>', 'share of 503s with Retry-After (default 0.5)', num],
  ['unavailableRetryAfterMaxSeconds', '--unavailable-retry-after-max <s>', 'largest Retry-After of a random 503 (default 3)', int],
  ['resetRate', '--reset-rate <p>', 'share of connections reset mid-response (hostile 0.02)', num],
  ['truncateRate', '--truncate-rate <p>', 'share of 200s with a body cut short (hostile 0.02)', num],
  ['wrongContentRate', '--wrong-content-rate <p>', 'share answered 200 with an HTML page (hostile 0.02)', num],
  ['trickleRate', '--trickle-rate <p>', 'share of bodies sent slowly in chunks (hostile 0.03)', num],
  ['trickleChunks', '--trickle-chunks <n>', 'chunks of a trickling body (default 8)', int],
  ['trickleIntervalMs', '--trickle-interval-ms <ms>', 'pause between trickled chunks (default 2000)', int],
  [
    'outages',
    '--outage <start-end>',
    'seconds since start in which everything is 503; repeatable; none clears (hostile 30-40)',
    parseOutage,
  ],
  ['faultsOnLogin', '--faults-on-login', 'random faults also hit POST /login (default on)', 'boolean'],
  ['dirtyRate', '--dirty-rate <p>', 'share of records with dirty values (hostile 0.1)', num],
  ['duplicateRate', '--duplicate-rate <p>', 'share of records repeated on the next page (hostile 0.02)', num],
];

const flagOf = (key: string): string => knobFlags.find(([k]) => k === key)?.[1].split(' ')[0] ?? key;
const attributeOf = (flag: string): string =>
  flag
    .split(' ')[0]!
    .replace(/^--/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The simulator options that parsed `serve` flags set (unset flags keep the profile's value). */
export function serveOptionsFromFlags(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = {},
): SimulatorOptions {
  const options: Record<string, unknown> = {};
  for (const [key, flag] of knobFlags) {
    const value = flags[attributeOf(flag)];
    if (value !== undefined) options[key] = value;
  }
  if (options['password'] === undefined && env['INGEST_SERVE_PASSWORD']) options['password'] = env['INGEST_SERVE_PASSWORD'];
  return options as SimulatorOptions;
}

/** Adds `serve`: runs the unstable API simulator until SIGINT/SIGTERM. */
export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('run the unstable API simulator (prints "listening on URL" first)')
    .option('--port <n>', 'TCP port, 0 = any free port', int, 8080)
    .option('--host <host>', 'interface to bind', '127.0.0.1');
  for (const [, flag, help, parser] of knobFlags) {
    if (parser === 'boolean') {
      command.addOption(new Option(flag, help));
      command.addOption(new Option(`--no-${flag.slice(2)}`, `turn ${flag} off`));
    } else if (parser === 'string') {
      command.addOption(new Option(flag, help));
    } else {
      command.addOption(new Option(flag, help).argParser(parser));
    }
  }
  command.action(async (flags: Record<string, unknown>) => {
    const options = serveOptionsFromFlags(flags, process.env);
    let sim;
    try {
      sim = await startSimulator({ ...options, port: flags['port'] as number, host: flags['host'] as string });
    } catch (error: unknown) {
      if (error instanceof ConfigError) {
        const problems = error.problems.map((p) =>
          p.replace(/simulator options? "([\w.]+)"/g, (_, key: string) => flagOf(key.split('.')[0] ?? key)),
        );
        throw new ConfigError(problems, { cause: error });
      }
      throw error;
    }
    process.stdout.write(`listening on ${sim.url}\n`);
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void sim.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
