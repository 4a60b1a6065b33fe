const secretParams = new Set(['token', 'key', 'secret', 'password', 'access_token', 'api_key', 'apikey']);

/** A query parameter whose value is a credential (`api_key`, `token`, ...). */
export const isSecretParam = (name: string): boolean => secretParams.has(name.toLowerCase());

/** The URL without userinfo and without the query params that carry secrets. */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid url>';
  }
  parsed.username = '';
  parsed.password = '';
  for (const name of [...parsed.searchParams.keys()]) {
    if (isSecretParam(name)) parsed.searchParams.delete(name);
  }
  return parsed.toString();
}
