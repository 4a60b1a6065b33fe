import { expect } from 'vitest';

export const credentials = { username: 'demo', password: 'demo-password' };

/** Logs in against a simulator at `url` and returns the bearer header value. */
export async function bearer(url: string, fetchFn: typeof fetch = fetch): Promise<string> {
  const res = await fetchFn(`${url}/login`, {
    method: 'POST',
    body: JSON.stringify(credentials),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string };
  return `Bearer ${body.access_token}`;
}

/** The exact texts of the records in a page body `{"data":[...],...}`, in served order. */
export function recordTexts(body: string): string[] {
  const prefix = '{"data":[';
  expect(body.startsWith(prefix)).toBe(true);
  const texts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = prefix.length; i < body.length; i++) {
    const ch = body[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      if (depth === 0) return texts; // the end of the data array
      if (--depth === 0) texts.push(body.slice(start, i + 1));
    }
  }
  throw new Error('unterminated data array');
}
