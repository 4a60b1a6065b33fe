import { defaultSecretRegistry, REDACTED } from '../logging/redaction.js';
import type { RunReport } from './runReport.js';
import type { SourceRunReport } from './sourceRunReport.js';

/** Scrubs secret values out of text: the shared `SecretRegistry` fits. */
export interface Redactor {
  redact(text: string): string;
}

/** For a report already passed through `redactReport`: scrubbing twice is pointless. */
export const alreadyRedacted: Redactor = { redact: (text) => text };

/**
 * Secrets that have a recognisable shape, caught even if nobody registered them: credentials
 * in a URL, bearer tokens, JWTs, AWS access key ids, secret query parameters. The report is
 * built from counters, but an error message or an endpoint can carry any of these.
 */
const SHAPES: readonly [RegExp, string][] = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED],
  [
    /([?&](?:access_token|refresh_token|id_token|token|password|passwd|secret|client_secret|api_key|apikey|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&#\s]+/gi,
    `$1${REDACTED}`,
  ],
];

function scrub(text: string, redactor: Redactor): string {
  let out = redactor.redact(text);
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}

function deep(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return scrub(value, redactor);
  if (Array.isArray(value)) return value.map((v: unknown) => deep(v, redactor));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k, redactor), deep(v, redactor)]));
}

/**
 * A copy of the report in which every string (error, endpoint, paths, anomalies, even map
 * keys) is scrubbed of registered secret values and of secret-shaped text. Every renderer
 * and `writeReportFiles` pass the report through this first; the source's run report too.
 */
export function redactReport<T extends RunReport | SourceRunReport>(report: T, redactor: Redactor = defaultSecretRegistry): T {
  return deep(report, redactor) as T;
}
