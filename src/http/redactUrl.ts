const secretParams = new Set(['token', 'key', 'secret', 'password', 'access_token', 'api_key', 'apikey']);

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
    if (secretParams.has(name.toLowerCase())) parsed.searchParams.delete(name);
  }
  return parsed.toString();
}
