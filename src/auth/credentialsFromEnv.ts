import { ConfigError } from '../errors.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Credentials from `INGEST_USERNAME` / `INGEST_PASSWORD`: undefined when neither is set, a
 * ConfigError (naming the missing variable, never a value) when only one is.
 */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Credentials | undefined {
  const username = env['INGEST_USERNAME'];
  const password = env['INGEST_PASSWORD'];
  const has = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (!has(username) && !has(password)) return undefined;
  const problems: string[] = [];
  if (!has(username)) problems.push('INGEST_USERNAME is not set, but INGEST_PASSWORD is');
  if (!has(password)) problems.push('INGEST_PASSWORD is not set, but INGEST_USERNAME is');
  if (problems.length > 0 || !has(username) || !has(password)) throw new ConfigError(problems);
  return { username, password };
}
