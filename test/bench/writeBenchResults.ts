import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchArgs } from './benchArgs.js';
import { renderMarkdownTable, type BenchRow } from './benchRow.js';

export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly args: BenchArgs;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGb: number;
    readonly node: string;
    readonly platform: string;
    /** 1-minute load average when the bench started: above ~0.5 × cpus, the numbers are suspect. */
    readonly loadAverageAtStart: number;
  };
  readonly rows: readonly BenchRow[];
  /** Benchmarks that could not finish, with why. */
  readonly errors: readonly { readonly bench: string; readonly message: string }[];
}

function markdown(results: BenchResults): string {
  const { machine } = results;
  return [
    `# Benchmark ${results.startedAt}${results.args.quick ? ' (quick smoke run: not a measurement)' : ''}`,
    '',
    `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb.toFixed(0)} GB, Node ${machine.node} on ${machine.platform}; load average at start ${machine.loadAverageAtStart.toFixed(2)}.`,
    `Benchmarks: ${results.args.only.join(', ')}; memory sizes ${results.args.sizes.join(', ')}. Finished ${results.finishedAt}.`,
    '',
    renderMarkdownTable(results.rows),
    '',
    ...results.rows.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note}`),
    ...(results.errors.length > 0 ? ['', '## Errors', '', ...results.errors.map((e) => `- ${e.bench}: ${e.message}`)] : []),
    '',
  ].join('\n');
}

/**
 * Writes `<dir>/bench-<time>.json` and `.md`, and `latest.json` / `latest.md` beside them (a
 * quick run writes `quick-<time>.*` and `latest-quick.*`, so `latest` is always a real
 * measurement). Returns the paths written.
 */
export async function writeBenchResults(dir: string, results: BenchResults): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const kind = results.args.quick ? 'quick' : 'bench';
  const latest = results.args.quick ? 'latest-quick' : 'latest';
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const md = markdown(results);
  const paths = [
    join(dir, `${kind}-${stamp}.json`),
    join(dir, `${kind}-${stamp}.md`),
    join(dir, `${latest}.json`),
    join(dir, `${latest}.md`),
  ];
  await Promise.all(paths.map((path) => writeFile(path, path.endsWith('.json') ? json : md)));
  return paths;
}
