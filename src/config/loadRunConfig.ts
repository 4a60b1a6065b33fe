import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { envVarName as envName, flagName } from './optionNames.js';
import { coerceOptionStrings, runConfigSchema, secretKeys, type RunConfig } from './runConfig.js';

/** A run's settled configuration: every default applied and every derived value filled in. */
export type ResolvedRunConfig = RunConfig & { readonly dataset: string; readonly runId: string; readonly ingestDate: string };

export interface RunConfigSources {
  /** Values from flags (camelCase keys); undefined entries are ignored. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** Process environment: `INGEST_<SCREAMING_SNAKE>` keys are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON config file. */
  readonly configFile?: string;
  /** Today, for the default ingest date. */
  readonly now: Date;
}

const keys = Object.keys(runConfigSchema.shape);

const defined = (o: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

async function readJsonFile(path: string, problems: string[]): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`config file ${path}: expected a JSON object`);
  } catch (error: unknown) {
    problems.push(`config file ${path}: ${error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'}`);
  }
  return {};
}

async function readSecretFile(path: string, what: string, problems: string[]): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    problems.push(`${what}: cannot read ${path}`);
    return undefined;
  }
}

/**
 * Merges defaults < config file < environment < flags, validates everything at once and
 * throws a ConfigError listing every problem. Secrets come only from env or files.
 */
export async function loadRunConfig(sources: RunConfigSources): Promise<ResolvedRunConfig> {
  const problems: string[] = [];
  const file = sources.configFile ? await readJsonFile(sources.configFile, problems) : {};
  const env = sources.env ?? {};
  const fromEnv = Object.fromEntries(keys.flatMap((k) => (env[envName(k)] === undefined ? [] : [[k, env[envName(k)]]])));
  const flags = defined(sources.flags ?? {});
  for (const key of secretKeys) {
    if (key in flags) problems.push(`${key}: pass it in ${envName(key)} or ${key}File, not on the command line`);
    if (key in file) problems.push(`${key}: keep it out of the config file; use ${envName(key)} or ${key}File`);
    delete flags[key];
    delete file[key];
  }
  const merged = await withSecretFiles({ ...file, ...fromEnv, ...flags }, problems);
  // Flags, variables and files give strings: converted here, so that the library's options stay exact.
  return resolveRunConfig(coerceOptionStrings(defined(merged)), sources.now, problems);
}

/** `password` and `token` read from `passwordFile` and `tokenFile` when not given themselves. */
async function withSecretFiles(values: Readonly<Record<string, unknown>>, problems: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...values };
  if (typeof out['passwordFile'] === 'string' && out['password'] === undefined)
    out['password'] = await readSecretFile(out['passwordFile'], 'passwordFile', problems);
  if (typeof out['tokenFile'] === 'string' && out['token'] === undefined)
    out['token'] = await readSecretFile(out['tokenFile'], 'tokenFile', problems);
  return out;
}

/** The library's entry (`runIngestion`): run options as one object, secret files read, then `resolveRunConfig`. */
export async function resolveRunOptions(values: Readonly<Record<string, unknown>>, now: Date): Promise<ResolvedRunConfig> {
  const problems: string[] = [];
  return resolveRunConfig(defined(await withSecretFiles(values, problems)), now, problems);
}

/**
 * Validates run options given as one object (the library's entry: no strings for numbers or
 * booleans), applies defaults and fills in the derived values; throws a ConfigError listing
 * every problem, `earlier` ones first.
 */
export function resolveRunConfig(values: Readonly<Record<string, unknown>>, now: Date, earlier: readonly string[] = []): ResolvedRunConfig {
  const problems = [...earlier];
  const parsed = runConfigSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') problems.push(`unknown option${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`);
      else if (issue.code === 'invalid_type' && issue.input === undefined)
        problems.push(`${where}: required (flag ${flagName(where)} or ${envName(where)})`);
      else problems.push(`${where}: ${issue.message}`);
    }
  }
  const config = parsed.data;
  if (config?.auth === 'login' && (!config.username || !config.password))
    problems.push(
      `auth=login needs a username (--username or ${envName('username')}) and a password (${envName('password')} or passwordFile)`,
    );
  if (config?.auth === 'bearer' && !config.token) problems.push(`auth=bearer needs a token (${envName('token')} or tokenFile)`);
  // Named, never quoted: the value holds the credentials.
  for (const key of ['apiUrl', 's3Endpoint'] as const) {
    const url = config?.[key] === undefined ? undefined : URL.parse(config[key]);
    if (url && (url.username || url.password))
      problems.push(
        `${key}: holds credentials (user:password@): pass the user with --username and the password in ${envName('password')} or passwordFile (S3 keys in AWS_* variables)`,
      );
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);

  // From the path only: a query string may carry secrets (api_key=...), and names end up in keys, files and reports.
  const path = config.endpoint.split(/[?#]/)[0] ?? '';
  const dataset = config.dataset ?? (path.split('/').filter(Boolean).at(-1) ?? 'dataset').replace(/[^A-Za-z0-9_.-]/g, '_');
  const ingestDate = config.ingestDate ?? now.toISOString().slice(0, 10);
  return { ...config, dataset, ingestDate, runId: config.runId ?? `${dataset}-${ingestDate}` };
}
