import { formatCount } from './format.js';
import type { RunReport } from './runReport.js';

/**
 * The anomaly saying that records held the value of a configured secret (where, never the value)
 * and whether it was masked before staging, or undefined when none did.
 */
export function secretsAnomaly(found: RunReport['secretsInRecords']): string | undefined {
  if (found === undefined || found.records === 0) return undefined;
  const { records, masked, fields } = found;
  const where = `${formatCount(records)} ${records === 1 ? 'record' : 'records'} held the value of a configured secret (in ${fields.join(', ')})`;
  if (masked === records) return `${where}: masked as [REDACTED] before staging (option maskSecretsInRecords)`;
  return `${where}: ${masked === 0 ? 'not masked' : `${formatCount(records - masked)} not masked`}, so the value is in the staging file and the output (option maskSecretsInRecords is off)`;
}
