import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.js';
import { simProfiles, type SimProfile } from './scenario.js';
import { failureLine, summarize } from './summary.js';

/**
 * `npm run sim -- --seeds N [--profile calm|flaky|hostile] [--seed S] [--workers W] [--concurrency C] [--trace]`:
 * the deterministic simulation campaign (`--trace` prints a single seed's request log). Prints a line per failing seed with its replay
 * command, then a summary; exits 1 when any seed failed.
 */
const usage = 'usage: npm run sim -- --seeds N [--profile calm|flaky|hostile] [--seed S] [--workers W] [--concurrency C] [--trace]';
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    trace: { type: 'boolean', default: false },
  },
});

const int = (name: string, text: string | undefined, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}\n${usage}\n`);
    process.exit(2);
  }
  return n;
};
const profile = values.profile;
if (profile !== undefined && !simProfiles.includes(profile as SimProfile)) {
  process.stderr.write(`--profile: expected one of ${simProfiles.join(', ')}, got ${JSON.stringify(profile)}\n${usage}\n`);
  process.exit(2);
}
const seeds = int('seeds', values.seeds, 1);
const campaign = await runCampaign({
  seeds,
  firstSeed: int('seed', values.seed, 0),
  ...(profile !== undefined ? { profile: profile as SimProfile } : {}),
  // One seed runs in this process: its logs and stack traces stay in view.
  workers: values.workers !== undefined ? int('workers', values.workers, 0) : seeds === 1 ? 0 : Math.min(2, availableParallelism()),
  concurrency: int('concurrency', values.concurrency, 1),
  ...(values.trace && seeds === 1 ? { trace: true } : {}),
  onResult: (result) => {
    if (result.problems.length > 0) {
      process.stdout.write(`${failureLine(result)}\n`);
      if (seeds === 1) for (const problem of result.problems.slice(1)) process.stdout.write(`  ${problem}\n`);
    }
  },
});
process.stdout.write(`${summarize(campaign)}\n`);
process.exit(campaign.results.some((r) => r.problems.length > 0) ? 1 : 0);
