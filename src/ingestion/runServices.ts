import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { AuthProvider } from '../auth/authProvider.js';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { isSecretParam, redactUrl } from '../http/redactUrl.js';
import { isScrubbable, loggerFor, MIN_SCRUBBED_SECRET_LENGTH, registerSecret } from '../logging/index.js';
import { outputFormats } from '../config/formats.js';
import type { Runtime } from '../runtime/runtime.js';
import { recordSecrets, StagingStore, type RecordSecrets, type RunOptionValues } from '../staging/index.js';
import { dataKey, reportKey, schemaKey } from '../storage/index.js';
import { authFor } from './authFor.js';
import { runPaths, type RunPaths } from './runPaths.js';
import { s3ClientFor } from './s3ClientFor.js';
import type { S3Credentials } from './runIngestionContext.js';

/** What every step of one run works with: opened once, closed once. */
export interface RunServices {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly paths: RunPaths;
  /** The data object's key, the keys of the reports and the rejects beside it, and the dataset's schema key. */
  readonly keys: {
    readonly data: string;
    readonly json: string;
    readonly md: string;
    readonly html: string;
    readonly rejects: string;
    readonly schema: string;
  };
  readonly s3: S3Client;
  /** The configured secrets each staged record is searched for (and masked in, by option); none: nothing to search for. */
  readonly recordSecrets: RecordSecrets | undefined;
  readonly auth: AuthProvider;
  readonly store: StagingStore;
}

/**
 * The options that decide which pages are fetched, the file written and where it goes: a run id
 * resumed with other values would mix two runs, so the staging store refuses it, naming them.
 */
function shapingOptions(config: ResolvedRunConfig): RunOptionValues {
  const { api, resource, format, transform, bucket, prefix, keyTemplate } = config;
  // Kept in the staging file: credentials in a query are left out (a rotated key is not another run).
  const params = Object.entries(resource.params).filter(([name]) => !isSecretParam(name));
  return {
    apiUrl: redactUrl(api.baseUrl),
    endpoint: `${resource.path}${params.length > 0 ? `?${new URLSearchParams(params).toString()}` : ''}`,
    paginator: JSON.stringify(resource.paginator),
    recordsPath: resource.records,
    keyField: resource.primaryKey,
    format,
    transform,
    bucket,
    prefix,
    keyTemplate: keyTemplate ?? null,
    // Only when not the default: a run staged before the option existed resumes as it was.
    ...(config.onConflict === 'last' ? { onConflict: 'last' } : {}),
    ...(config.maskSecretsInRecords ? {} : { maskSecretsInRecords: false }),
  };
}

/** Registers the run's secrets, then opens the store client, the auth provider and the staging store. */
export async function openRunServices(
  config: ResolvedRunConfig,
  runtime: Runtime,
  s3Credentials: S3Credentials | undefined,
): Promise<RunServices> {
  // Credentials in the query (`?api_key=...`) are secrets too; other parameters (`?status=active`) are not.
  const queryValues = Object.entries(config.resource.params).flatMap(([name, value]) => (isSecretParam(name) ? [value] : []));
  for (const secret of [...config.secrets, s3Credentials?.secretAccessKey, s3Credentials?.sessionToken, ...queryValues])
    registerSecret(secret);
  const logger = loggerFor(runtime.logger, 'ingestion');
  const configured = [...config.secrets, ...queryValues];
  const short = configured.filter((secret) => !isScrubbable(secret)).length;
  if (short > 0)
    logger.warn(
      { count: short, minLength: MIN_SCRUBBED_SECRET_LENGTH },
      `a configured secret shorter than ${MIN_SCRUBBED_SECRET_LENGTH} characters is not scrubbed from text nor searched for in records (it would match ordinary text)`,
    );
  const parts = { prefix: config.prefix, dataset: config.dataset, ingestDate: config.ingestDate, runId: config.runId };
  const reportKeyOptions = config.keyTemplate ? { dataKeyTemplate: config.keyTemplate } : {};
  const keys = {
    data: dataKey({ ...parts, ext: outputFormats[config.format].extension }, config.keyTemplate),
    json: reportKey(parts, 'json', reportKeyOptions),
    md: reportKey(parts, 'md', reportKeyOptions),
    html: reportKey(parts, 'html', reportKeyOptions),
    rejects: reportKey(parts, 'rejects', reportKeyOptions),
    schema: schemaKey(config.prefix, config.dataset),
  };
  const paths = runPaths(config);
  const s3 = s3ClientFor(config, s3Credentials);
  const auth = authFor(config, runtime);
  try {
    const store = await StagingStore.open(
      {
        path: paths.staging,
        runId: config.runId,
        options: shapingOptions(config),
        memoryLimit: config.duckdbMemoryLimit,
        onConflict: config.onConflict,
        ...(config.duckdbTempDir ? { tempDirectory: config.duckdbTempDir } : {}),
      },
      runtime,
    );
    const secrets = recordSecrets(configured, config.maskSecretsInRecords);
    return { runtime, logger, paths, keys, s3, recordSecrets: secrets, auth, store };
  } catch (error: unknown) {
    s3.destroy();
    auth.close?.();
    throw error;
  }
}

export async function closeRunServices(services: RunServices): Promise<void> {
  try {
    await services.store.close();
  } finally {
    services.s3.destroy();
    services.auth.close?.();
  }
}
