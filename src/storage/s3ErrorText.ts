/**
 * SDK errors can carry key material: S3 error bodies echo `AWSAccessKeyId`, `StringToSign`,
 * `CanonicalRequest`, and some messages quote the key id. Nothing from an SDK error reaches our
 * messages or causes except through these functions.
 */

const ACCESS_KEY_ID = /\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g;
const SECRET_LIKE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SIGNING_FIELDS =
  /\b(Credential|Signature|X-Amz-Credential|X-Amz-Signature|X-Amz-Security-Token|SignatureProvided|StringToSign|CanonicalRequest)\s*[=:]\s*[^\s,;&]+/gi;

/** Removes access key ids, secret-looking strings, signing fields and any of `secrets`. */
export function redactKeyMaterial(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.replace(SIGNING_FIELDS, '$1=[redacted]').replace(ACCESS_KEY_ID, '[redacted]').replace(SECRET_LIKE, '[redacted]');
}

/** The parts of an SDK error that are safe to show: name/code, HTTP status, retry count. */
export interface S3ErrorInfo {
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly message: string;
  readonly attempts: number | undefined;
}

export function s3ErrorInfo(error: unknown, secrets: readonly string[] = []): S3ErrorInfo {
  if (typeof error !== 'object' || error === null) {
    return { code: undefined, status: undefined, message: redactKeyMaterial(String(error), secrets), attempts: undefined };
  }
  const record = error as Record<string, unknown>;
  const meta = record['$metadata'] as Record<string, unknown> | undefined;
  const code = typeof record['Code'] === 'string' ? record['Code'] : typeof record['name'] === 'string' ? record['name'] : undefined;
  const status = typeof meta?.['httpStatusCode'] === 'number' ? meta['httpStatusCode'] : undefined;
  const attempts = typeof meta?.['attempts'] === 'number' ? meta['attempts'] : undefined;
  const raw = typeof record['message'] === 'string' ? record['message'] : '';
  return { code, status, message: redactKeyMaterial(raw, secrets), attempts };
}

/** A one-line, key-free summary: `NoSuchBucket (HTTP 404): The specified bucket does not exist`. */
export function describeS3Error(error: unknown, secrets: readonly string[] = []): string {
  const info = s3ErrorInfo(error, secrets);
  const head = [info.code, info.status === undefined ? undefined : `HTTP ${info.status}`].filter(Boolean).join(' ');
  const parts = [head === '' ? undefined : head, info.message && info.message !== info.code ? info.message : undefined];
  return parts.filter(Boolean).join(': ') || 'unknown error';
}

/** A plain Error holding only the safe summary, to use as `cause` instead of the SDK error. */
export function safeCause(error: unknown, secrets: readonly string[] = []): Error {
  const info = s3ErrorInfo(error, secrets);
  const cause = new Error(describeS3Error(error, secrets));
  cause.name = info.code ?? 'S3Error';
  return Object.assign(cause, { status: info.status, attempts: info.attempts });
}

/** True for the errors S3 uses when an object or bucket is not there. */
export function isNotFound(error: unknown): boolean {
  const info = s3ErrorInfo(error);
  return info.status === 404 || info.code === 'NotFound' || info.code === 'NoSuchKey' || info.code === 'NoSuchBucket';
}

export function isPreconditionFailed(error: unknown): boolean {
  const info = s3ErrorInfo(error);
  return info.status === 412 || info.code === 'PreconditionFailed' || info.code === 'ConditionalRequestConflict' || info.status === 409;
}

export function isNotImplemented(error: unknown): boolean {
  const info = s3ErrorInfo(error);
  return info.status === 501 || info.status === 405 || info.code === 'NotImplemented' || info.code === 'MethodNotAllowed';
}
