import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { envVarName as envName, flagName } from './optionNames.js';
import { coerceOptionStrings, runConfigSchema, secretKeys, type RunConfig } from './runConfig.js';
import { resolveSecretRefs } from './secretRefs.js';
import { apiOf, resourcesOf, sourceSchema, type ApiSpec, type ResourceSpec } from './sourceFile.js';
import { shorthandSource } from './shorthandSource.js';

/** A run's settled configuration: every default applied, the API and each resource resolved. */
export type ResolvedRun = Omit<RunConfig, 'source'> & {
  /** The source's name (`source` when it has none): its run report is filed under it. */
  readonly sourceName: string;
  readonly runId: string;
  readonly ingestDate: string;
  readonly api: ApiSpec;
  readonly resources: readonly ResourceSpec[];
  /** Values brought in by `${env:…}` / `${file:…}` references and the password and token options: for the redaction registry. */
  readonly secrets: readonly string[];
};

/** One resource's run: the run's options, and the resource that is its dataset. */
export type ResolvedRunConfig = Omit<ResolvedRun, 'resources'> & { readonly dataset: string; readonly resource: ResourceSpec };

/** The run as seen by one of its resources. */
export function forResource(run: ResolvedRun, resource: ResourceSpec): ResolvedRunConfig {
  const { resources: _resources, ...rest } = run;
  return { ...rest, dataset: resource.name, resource };
}

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
export async function loadRunConfig(sources: RunConfigSources): Promise<ResolvedRun> {
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
  // Flags, variables and files give strings: converted here, so that the library's options stay exact.
  return resolveRunOptions(coerceOptionStrings(defined({ ...file, ...fromEnv, ...flags })), sources.now, env, problems);
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

/**
 * The library's entry (`runIngestion`): run options as one object; secret files read, a source
 * file read and its `${env:…}` / `${file:…}` references resolved, then `resolveRunConfig`.
 */
export async function resolveRunOptions(
  values: Readonly<Record<string, unknown>>,
  now: Date,
  env: Readonly<Record<string, string | undefined>> = process.env,
  earlier: readonly string[] = [],
): Promise<ResolvedRun> {
  const problems = [...earlier];
  const withFiles = defined(await withSecretFiles(values, problems));
  const given = withFiles['source'];
  if (given === undefined) return resolveRunConfig(withFiles, now, problems);
  const fromFile = typeof given === 'string';
  const source = fromFile ? await readSourceFile(given, problems) : given;
  // Without its source the other options cannot be judged (which API keys are allowed depends on it).
  if (source === undefined) throw new ConfigError(problems);
  const { value, secrets } = await resolveSecretRefs(source, env, fromFile, problems);
  const named =
    fromFile && value !== null && typeof value === 'object' && !('name' in value) ? { ...value, name: sourceNameOf(given) } : value;
  return resolveRunConfig({ ...withFiles, source: named }, now, problems, secrets);
}

/** `shop.source.yaml` names the source `shop`. */
function sourceNameOf(path: string): string {
  return (basename(path).split('.')[0] ?? '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'source';
}

/** Keys that describe the API and its one resource: a source file replaces them all. */
const shorthandKeys = [
  'apiUrl',
  'endpoint',
  'pagination',
  'pageSize',
  'recordsPath',
  'keyField',
  'auth',
  'loginPath',
  'username',
  'password',
  'passwordFile',
  'token',
  'tokenFile',
  'dataset',
  'schema',
] as const;

/**
 * Validates run options given as one object (the library's entry: no strings for numbers or
 * booleans; a source as an object), applies defaults and resolves the API and its resources;
 * throws a ConfigError listing every problem, `earlier` ones first.
 */
export function resolveRunConfig(
  values: Readonly<Record<string, unknown>>,
  now: Date,
  earlier: readonly string[] = [],
  refSecrets: readonly string[] = [],
): ResolvedRun {
  const problems = [...earlier];
  const parsed = runConfigSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') problems.push(`unknown option${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`);
      else if (issue.code === 'invalid_union' && issue.path[0] === 'source') problems.push(...sourceProblems(values['source']));
      else if (issue.code === 'invalid_type' && issue.input === undefined)
        problems.push(`${where}: required (flag ${flagName(where)} or ${envName(where)})`);
      else problems.push(`${where}: ${issue.message}`);
    }
  }
  const config = parsed.data;
  const source = config?.source;
  if (typeof source === 'string')
    problems.push('source: expected the source itself (a file path is read by loadRunConfig or resolveRunOptions)');
  if (values['source'] !== undefined) {
    const mixed = shorthandKeys.filter((key) => values[key] !== undefined);
    if (mixed.length > 0) problems.push(`${mixed.join(', ')}: not with a source file; describe the API in the source file instead`);
  } else if (values['apiUrl'] === undefined) {
    problems.push(`apiUrl: required (flag ${flagName('apiUrl')} or ${envName('apiUrl')}), or a source file (--source)`);
  } else if (config) {
    if (config.auth === 'login' && (!config.username || !config.password))
      problems.push(
        `auth=login needs a username (--username or ${envName('username')}) and a password (${envName('password')} or passwordFile)`,
      );
    if (config.auth === 'bearer' && !config.token) problems.push(`auth=bearer needs a token (${envName('token')} or tokenFile)`);
  }
  // Named, never quoted: the value holds the credentials.
  const apiUrl = typeof source === 'object' ? source.api.baseUrl : config?.apiUrl;
  for (const [key, value] of [
    ['apiUrl', apiUrl],
    ['s3Endpoint', config?.s3Endpoint],
  ] as const) {
    const url = value === undefined ? undefined : URL.parse(value);
    if (url && (url.username || url.password))
      problems.push(
        `${key}: holds credentials (user:password@): pass the user with --username and the password in ${envName('password')} or passwordFile (S3 keys in AWS_* variables)`,
      );
  }
  const spec = config && typeof source !== 'string' ? (source ?? shorthandSource(config)) : undefined;
  const resources = spec ? resourcesOf(spec, problems) : [];
  if (problems.length > 0 || !config || !spec) throw new ConfigError(problems);

  const { source: _source, ...options } = config;
  const ingestDate = config.ingestDate ?? now.toISOString().slice(0, 10);
  return {
    ...options,
    ingestDate,
    // Object names are NAME_RUNID: one resource's run is its date, several resources' the source's name and date.
    sourceName: spec.name ?? 'source',
    runId: config.runId ?? (resources.length === 1 ? ingestDate : `${spec.name ?? 'source'}-${ingestDate}`),
    api: apiOf(spec),
    resources,
    secrets: [...refSecrets, ...[config.password, config.token].filter((s): s is string => s !== undefined)],
  };
}

/** A source's problems, by path (the union with a file path hides them). */
function sourceProblems(source: unknown): string[] {
  const parsed = sourceSchema.safeParse(source);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `source.${issue.path.join('.')}: ${issue.message}`);
}

/** Reads a source file: YAML (JSON is YAML too). */
async function readSourceFile(path: string, problems: string[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    problems.push(`source: cannot read ${path}`);
    return undefined;
  }
  try {
    return parseYaml(text);
  } catch (error: unknown) {
    // The parser's message quotes the line: a source file holds no secrets, only references.
    problems.push(`source: ${path} is not valid YAML or JSON (${error instanceof Error ? error.message.split('\n')[0] : 'unreadable'})`);
    return undefined;
  }
}
