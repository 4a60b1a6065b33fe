import type { BenchName } from './benchArgs.js';

/** Figures the summary table has a column for; any other figure goes to the JSON only. */
export interface BenchFigures {
  readonly recordsPerSecond?: number;
  readonly share429?: number;
  readonly attemptsPerPage?: number;
  readonly idealAttemptsPerPage?: number;
  readonly peakRssMb?: number;
  readonly wallSeconds?: number;
  readonly [figure: string]: number | undefined;
}

/** One measured line of the benchmark: a value (usually a ratio) against its target. */
export interface BenchRow {
  readonly bench: BenchName;
  readonly scenario: string;
  /** What `value` is, e.g. `goodput / ceiling`, `peak RSS MB`. */
  readonly measure: string;
  readonly value: number;
  readonly target: string;
  /** Undefined when the row has no target (information only). */
  readonly pass?: boolean;
  readonly figures: BenchFigures;
  readonly note?: string;
}

const fixed =
  (digits: number) =>
  (n: number | undefined): string =>
    n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits);

const columns: readonly (readonly [string, (row: BenchRow) => string, 'left' | 'right'])[] = [
  ['bench', (r) => r.bench, 'left'],
  ['scenario', (r) => r.scenario, 'left'],
  ['measure', (r) => r.measure, 'left'],
  ['value', (r) => (Math.abs(r.value) >= 100 ? fixed(0)(r.value) : fixed(3)(r.value)), 'right'],
  ['target', (r) => r.target, 'left'],
  ['result', (r) => (r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL'), 'left'],
  ['rec/s', (r) => fixed(0)(r.figures.recordsPerSecond), 'right'],
  ['429s %', (r) => fixed(2)(r.figures.share429 === undefined ? undefined : r.figures.share429 * 100), 'right'],
  [
    'attempts/page (ideal)',
    (r) =>
      r.figures.attemptsPerPage === undefined
        ? ''
        : `${fixed(3)(r.figures.attemptsPerPage)}${r.figures.idealAttemptsPerPage === undefined ? '' : ` (${fixed(3)(r.figures.idealAttemptsPerPage)})`}`,
    'right',
  ],
  ['peak MB', (r) => fixed(0)(r.figures.peakRssMb), 'right'],
  ['wall s', (r) => fixed(1)(r.figures.wallSeconds), 'right'],
];

/** The rows side by side as an aligned plain-text table. */
export function renderTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row)));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (columns[i]?.[2] === 'right' ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([title]) => title)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The same table in Markdown. */
export function renderMarkdownTable(rows: readonly BenchRow[]): string {
  const escape = (v: string): string => v.replace(/\|/g, '\\|');
  const head = `| ${columns.map(([title]) => title).join(' | ')} |`;
  const rule = `| ${columns.map(([, , align]) => (align === 'right' ? '---:' : '---')).join(' | ')} |`;
  return [head, rule, ...rows.map((row) => `| ${columns.map(([, cell]) => escape(cell(row))).join(' | ')} |`)].join('\n');
}
