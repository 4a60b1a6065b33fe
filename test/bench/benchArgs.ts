/** Which benchmarks to run. */
export type BenchName = 'memory' | 'speed' | 'stream';

export const benchNames: readonly BenchName[] = ['memory', 'speed', 'stream'];

export interface BenchArgs {
  readonly only: readonly BenchName[];
  /** Record counts of the memory benchmark, ascending. */
  readonly sizes: readonly number[];
  /** Small sizes and short windows: a smoke run of the harness, not a measurement. */
  readonly quick: boolean;
}

export const fullSizes: readonly number[] = [100_000, 1_000_000, 10_000_000];
export const quickSizes: readonly number[] = [10_000, 50_000];

export const benchUsage = `usage: npm run bench -- [--only memory|speed|stream[,…]] [--sizes 100000,1000000,10000000] [--quick]`;

/** Parses `npm run bench` flags; throws an Error naming the bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let only: BenchName[] | undefined;
  let sizes: number[] | undefined;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${benchUsage}`);
      return v;
    };
    switch (flag) {
      case '--only': {
        const names = value().split(',');
        const bad = names.filter((n) => !benchNames.includes(n as BenchName));
        if (bad.length > 0) throw new Error(`--only: unknown benchmark ${bad.join(', ')} (expected ${benchNames.join(', ')})`);
        only = [...new Set([...(only ?? []), ...(names as BenchName[])])];
        break;
      }
      case '--sizes': {
        const parts = value().split(',');
        const parsed = parts.map((p) => Number(p.replace(/_/g, '')));
        if (parsed.some((n) => !Number.isInteger(n) || n <= 0))
          throw new Error(`--sizes: expected positive whole numbers, got ${parts.join(',')}`);
        sizes = [...new Set(parsed)].sort((a, b) => a - b);
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--help':
      case '-h':
        throw new Error(benchUsage);
      default:
        throw new Error(`unknown flag ${arg}\n${benchUsage}`);
    }
  }
  return { only: only ?? benchNames, sizes: sizes ?? (quick ? quickSizes : fullSizes), quick };
}
