/** One link of a `Link` header: its target and its parameters (names lower-cased). */
export interface WebLink {
  readonly uri: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses an RFC 8288 `Link` header: `<uri>; rel="next"; title="a, b", <uri2>; rel=prev`.
 * Commas and semicolons inside quotes are kept; a malformed link is skipped, not fatal.
 * For a repeated parameter the first occurrence wins (RFC 8288 §3).
 */
export function parseLinkHeader(value: string | null | undefined): WebLink[] {
  if (!value) return [];
  const links: WebLink[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(value[i]!)) i++;
  };
  while (i < n) {
    skipSpace();
    if (value[i] === ',') {
      i++;
      continue;
    }
    if (value[i] !== '<') {
      // Not a link: skip to the next top-level comma.
      i = nextComma(value, i);
      continue;
    }
    const close = value.indexOf('>', i);
    if (close < 0) break;
    const uri = value.slice(i + 1, close).trim();
    i = close + 1;
    // No prototype: a parameter may be named `constructor` or `__proto__` like any other.
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      skipSpace();
      if (value[i] !== ';') break;
      i++;
      skipSpace();
      let name = '';
      while (i < n && /[^\s=;,]/.test(value[i]!)) name += value[i++];
      skipSpace();
      let paramValue = '';
      if (value[i] === '=') {
        i++;
        skipSpace();
        if (value[i] === '"') {
          i++;
          while (i < n && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < n) i++;
            paramValue += value[i++];
          }
          i++;
        } else {
          while (i < n && /[^\s;,]/.test(value[i]!)) paramValue += value[i++];
        }
      }
      const key = name.toLowerCase();
      if (key !== '' && !Object.hasOwn(params, key)) params[key] = paramValue;
    }
    links.push({ uri, params });
    i = nextComma(value, i);
  }
  return links;
}

function nextComma(value: string, from: number): number {
  let quoted = false;
  for (let i = from; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === ',' && !quoted) return i + 1;
  }
  return value.length;
}

/**
 * The absolute URL of the link whose `rel` includes `rel` (relation types are
 * space-separated and case-insensitive), resolved against the request URL; undefined if none.
 */
export function findLink(value: string | null | undefined, rel: string, baseUrl: string): string | undefined {
  const wanted = rel.toLowerCase();
  for (const link of parseLinkHeader(value)) {
    const rels = (link.params['rel'] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes(wanted)) {
      try {
        return new URL(link.uri, baseUrl).toString();
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
