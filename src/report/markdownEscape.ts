import { neutralizeControls } from './format.js';

/**
 * Escapes text from the API or the config for Markdown: every character that could start
 * emphasis, a link, raw HTML or a table cell boundary is backslash-escaped (CommonMark allows
 * that for any ASCII punctuation), and line breaks cannot end a paragraph or a table row.
 */
export function mdText(text: string, options: { readonly inTable?: boolean } = {}): string {
  // An underscore inside a word (total_records) cannot open emphasis, so it stays readable.
  const escaped = text.replace(/[\\`*_[\]<>|#~&!]/g, (c, at: number) =>
    c === '_' && /[\p{L}\p{N}]/u.test(text[at - 1] ?? '') && /[\p{L}\p{N}]/u.test(text[at + 1] ?? '') ? c : `\\${c}`,
  );
  const lines = escaped.split(/\r\n|\r|\n/);
  return lines.map((line) => neutralizeControls(line)).join(options.inTable ? '<br>' : ' ');
}

/** A table cell holding text. */
export function mdCell(text: string): string {
  return mdText(text, { inTable: true });
}

/**
 * An inline code span for paths, URIs, ids and hashes: shown verbatim. The fence is longer than
 * any backtick run inside; in a table, `|` must still be escaped (GFM splits cells first).
 */
export function mdCode(text: string, options: { readonly inTable?: boolean } = {}): string {
  if (text.length === 0) return '*(empty)*';
  const flat = neutralizeControls(text.replace(/\r\n|\r|\n/g, ' '));
  const body = options.inTable ? flat.replaceAll('|', '\\|') : flat;
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fenced code block whose fence cannot be closed by the content. */
export function mdCodeBlock(lines: readonly string[], info = ''): string {
  const body = lines.map((line) => neutralizeControls(line)).join('\n');
  const longestRun = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** A GFM table; cells must already be escaped. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}
