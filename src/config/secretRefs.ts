import { readFile } from 'node:fs/promises';

const REF = /\$\{(env|file):([^}]+)\}/g;
/** Fields of a source whose values are credentials: a source file names them by reference only. */
const SECRET_FIELDS = new Set(['token', 'password', 'value', 'clientSecret']);
/** Deeper than any source file needs: a guard, not a limit a user meets. */
const MAX_DEPTH = 32;

/** The resolved value, and every value a reference brought in (they are secrets, for the redaction registry). */
export interface ResolvedRefs {
  readonly value: unknown;
  readonly secrets: readonly string[];
}

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string of `value` (a file's content is
 * trimmed). With `fromFile`, a credential field of `api.auth` (`token`, `password`, `value`,
 * `clientSecret`, a login body's password-like fields) holding a literal instead of a reference is a problem: source
 * files are shared and committed, secrets are not. Problems are named by path, never by value.
 */
export async function resolveSecretRefs(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  fromFile: boolean,
  problems: string[],
): Promise<ResolvedRefs> {
  const secrets: string[] = [];
  const visit = async (node: unknown, path: string[]): Promise<unknown> => {
    if (path.length > MAX_DEPTH) {
      problems.push(`${path.join('.')}: nested too deep`);
      return node;
    }
    if (typeof node === 'string') return resolveString(node, path);
    if (Array.isArray(node)) return Promise.all(node.map((item, i) => visit(item, [...path, String(i)])));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) out[key] = await visit(child, [...path, key]);
    return out;
  };
  const resolveString = async (text: string, path: string[]): Promise<string> => {
    const where = path.join('.');
    const refs = [...text.matchAll(REF)];
    if (fromFile && isCredentialField(path) && refs.length === 0)
      problems.push(`${where}: a credential is written in the source file; use "\${env:NAME}" or "\${file:PATH}"`);
    let out = text;
    for (const [ref, kind, name] of refs) {
      const resolved = kind === 'env' ? env[name!] : await readSecret(name!);
      if (resolved === undefined || resolved === '') {
        problems.push(`${where}: ${kind === 'env' ? `environment variable ${name} is not set` : `cannot read file ${name}`}`);
        continue;
      }
      secrets.push(resolved);
      out = out.replace(ref, () => resolved);
    }
    return out;
  };
  return { value: await visit(value, []), secrets };
}

/** A login body's field whose name says it holds a credential (a user name does not). */
export const isCredentialName = (field: string): boolean => /pass|secret|token|key/i.test(field);

/** `api.auth.<credential>`, or a login body's credential field. */
function isCredentialField(path: readonly string[]): boolean {
  if (path[0] !== 'api' || path[1] !== 'auth') return false;
  const field = path.at(-1) ?? '';
  return path[2] === 'body' ? isCredentialName(field) : path.length === 3 && SECRET_FIELDS.has(field);
}

async function readSecret(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}
