import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';

export interface S3ClientOptions {
  /** e.g. http://127.0.0.1:9000 for MinIO/s3rver/moto; omit for AWS. */
  readonly endpoint?: string;
  /** Defaults to the SDK's (AWS_REGION, profile); `us-east-1` when a custom endpoint is given. */
  readonly region?: string;
  /** Path-style URLs (http://host/bucket/key), which most local servers need. */
  readonly forcePathStyle?: boolean;
  /** Explicit keys; omitted -> the SDK's standard chain (env, profile, SSO, instance role). */
  readonly credentials?: Readonly<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** Attempts per request, first included (SDK retry of 5xx, SlowDown, throttling, network). */
  readonly maxAttempts?: number;
  readonly retryMode?: 'standard' | 'adaptive';
  /** Per-request socket timeouts, so a stalled connection fails into a retry instead of hanging. */
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export const S3_CLIENT_DEFAULTS = {
  maxAttempts: 5,
  retryMode: 'standard',
  connectionTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
} as const;

/** Builds the S3 client for any S3-compatible store; validates the options first. */
export function createS3Client(options: Readonly<S3ClientOptions> = {}): S3Client {
  const problems: string[] = [];
  if (options.endpoint !== undefined) {
    try {
      const url = new URL(options.endpoint);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`s3 endpoint "${url.origin}" must be http(s)`);
      if (url.username || url.password) problems.push('s3 endpoint must not embed credentials; pass them as credentials');
    } catch {
      problems.push('s3 endpoint is not a valid URL');
    }
  }
  const maxAttempts = options.maxAttempts ?? S3_CLIENT_DEFAULTS.maxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) problems.push('s3 maxAttempts must be an integer >= 1');
  const creds = options.credentials;
  if (creds && (creds.accessKeyId === '' || creds.secretAccessKey === '')) {
    problems.push('s3 credentials need both an access key id and a secret access key (or omit both to use the standard chain)');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const region = options.region ?? (options.endpoint === undefined ? undefined : 'us-east-1');
  const config: S3ClientConfig = {
    maxAttempts,
    retryMode: options.retryMode ?? S3_CLIENT_DEFAULTS.retryMode,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? S3_CLIENT_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? S3_CLIENT_DEFAULTS.requestTimeoutMs,
    },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    ...(creds === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: creds.accessKeyId,
            secretAccessKey: creds.secretAccessKey,
            ...(creds.sessionToken === undefined ? {} : { sessionToken: creds.sessionToken }),
          },
        }),
  };
  return new S3Client(config);
}

/**
 * The client's own key strings, so they can be cut out of error text. Resolving never throws;
 * with no resolvable credentials there is nothing of ours to leak.
 */
export async function clientKeyMaterial(client: S3Client): Promise<string[]> {
  try {
    const provider = client.config.credentials as unknown;
    const resolved = typeof provider === 'function' ? await (provider as () => Promise<unknown>)() : provider;
    if (typeof resolved !== 'object' || resolved === null) return [];
    const r = resolved as Record<string, unknown>;
    return [r['accessKeyId'], r['secretAccessKey'], r['sessionToken']].filter((v): v is string => typeof v === 'string' && v !== '');
  } catch {
    return [];
  }
}
