/** Bytes as text the way `fetch`'s `text()` decodes them: UTF-8, a leading byte-order mark dropped, bad bytes as U+FFFD. */
export function utf8Text(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
