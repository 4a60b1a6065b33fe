import { redactKeyMaterial } from './s3ErrorText.js';

const SECRET_NAME = /secret|passw|token|credential|authori[sz]ation|api-?key|access-?key|private/i;
const NAME = /^[a-z0-9][a-z0-9-]*$/;
/** S3 caps user metadata at 2 KB (names + values). */
const MAX_METADATA_BYTES = 2048;

/** Object metadata is readable by anyone who can read the object: it must never hold secrets. */
export function metadataProblems(metadata: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  let size = 0;
  for (const [name, value] of Object.entries(metadata)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
    if (!NAME.test(name)) problems.push(`metadata name "${name}" must be lower-case letters, digits and "-"`);
    if (name === 'sha256') problems.push('metadata name "sha256" is reserved for the file checksum');
    if (SECRET_NAME.test(name)) problems.push(`metadata "${name}" looks like a secret; object metadata must never hold secrets`);
    else if (redactKeyMaterial(value) !== value) problems.push(`metadata "${name}" has a value that looks like key material`);
    if (/[^\x20-\x7e]/.test(value)) problems.push(`metadata "${name}" must be printable ASCII`);
  }
  if (size > MAX_METADATA_BYTES) problems.push(`metadata is ${size} bytes; S3 allows ${MAX_METADATA_BYTES}`);
  return problems;
}
