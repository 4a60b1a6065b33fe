import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** README.md and every Markdown file under docs/, as repo-relative paths. */
const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];

/** Every file under `dir` whose name ends with one of `extensions`, repo-relative. */
function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => extensions.some((ext) => name.endsWith(ext)))
    .map((name) => join(dir, name));
}

/** The inline link targets of a Markdown text, outside fenced code blocks. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const anchorsOf = (markdown: string): Set<string> =>
  new Set(
    markdown
      .replace(/^```[\s\S]*?^```/gm, '')
      .split('\n')
      .filter((line) => /^#{1,6}\s/.test(line))
      .map((line) => anchorOf(line.replace(/^#+\s/, ''))),
  );

/** The row numbers of docs/reliability.md's fault table (`| row | fault | what happens | test |`). */
function reliabilityRows(): number[] {
  const lines = read('docs/reliability.md').split('\n');
  const header = lines.findIndex((line) => /^\|\s*row\s*\|\s*fault\s*\|/.test(line));
  const rows: number[] = [];
  for (const line of lines.slice(header + 2)) {
    const m = /^\|\s*(\d+)\s*\|/.exec(line);
    if (!m) break;
    rows.push(Number(m[1]));
  }
  return rows;
}

/** The rows a text cites as "reliability row 7" or "reliability rows 1-3, 5". */
function citedRows(text: string): number[] {
  const cited: number[] = [];
  for (const m of text.matchAll(/reliability rows? (\d+(?:\s*[-–,]\s*\d+)*)/gi)) {
    for (const part of (m[1] ?? '').split(',')) {
      const [from, to] = part.split(/[-–]/).map((n) => Number(n.trim()));
      if (from === undefined) continue;
      for (let n = from; n <= (to ?? from); n++) cited.push(n);
    }
  }
  return cited;
}

describe('docs stay honest', () => {
  it('finds the README and the docs', () => {
    expect(docs).toContain('README.md');
    expect(docs).toContain(join('docs', 'reliability.md'));
  });

  it.each(docs)('%s: every relative link points at a file in the repo (and an existing heading)', (doc) => {
    const text = read(doc);
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, ...
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(root, doc) : resolve(join(root, dirname(doc)), decodeURIComponent(path));
      const inRepo = relative(root, file);
      expect(inRepo.startsWith(`..${sep}`) || inRepo === '..', `${doc}: ${target} leaves the repo`).toBe(false);
      expect(existsSync(file), `${doc}: ${target} does not exist`).toBe(true);
      if (anchor !== undefined && anchor !== '' && file.endsWith('.md')) {
        expect(anchorsOf(readFileSync(file, 'utf8')), `${doc}: ${target} has no such heading`).toContain(anchor);
      }
    }
  });

  it.each(docs)('%s: neither links to nor mentions shared/', (doc) => {
    expect(read(doc)).not.toMatch(/(^|[^\w-])shared\//m);
  });

  it('docs/reliability.md numbers its fault table 1, 2, 3, ... without gaps', () => {
    const rows = reliabilityRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(rows.map((_, i) => i + 1));
  });

  it('every "reliability row N" cited in test/ is a row of docs/reliability.md', () => {
    const rows = new Set(reliabilityRows());
    const citations = filesUnder('test', ['.ts']).flatMap((file) => citedRows(read(file)).map((row) => ({ file, row })));
    expect(citations.length).toBeGreaterThan(0);
    expect(citations.filter(({ row }) => !rows.has(row))).toEqual([]);
  });
});
