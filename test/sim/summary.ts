import { faultKinds } from '../../src/simulator/index.js';
import type { CampaignResult, SeedSummary } from './campaign.js';
import { replayCommand } from './scenario.js';

/** One line per failing seed: its replay command, then what broke first. */
export function failureLine(result: SeedSummary): string {
  const more = result.problems.length > 1 ? ` (+${result.problems.length - 1} more)` : '';
  return `FAIL ${replayCommand(result.seed, result.profile)}  # ${result.problems[0] ?? ''}${more}`;
}

const duration = (ms: number): string => {
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

/** The campaign's summary: seeds, outcomes, speed, virtual time covered, faults injected by kind. */
export function summarize(campaign: CampaignResult): string {
  const { results, wallMs } = campaign;
  const failed = results.filter((r) => r.problems.length > 0);
  const recovered = results.filter((r) => r.outcome === 'recovered').length;
  const virtualMs = results.reduce((n, r) => n + r.virtualMs, 0);
  const faults = faultKinds.map((k) => [k, results.reduce((n, r) => n + (r.faults[k] ?? 0), 0)] as const).filter(([, n]) => n > 0);
  const byProfile = new Map<string, number>();
  for (const r of results) byProfile.set(r.profile, (byProfile.get(r.profile) ?? 0) + 1);
  const records = results.reduce((n, r) => n + r.records, 0);
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const stale = results.reduce((n, r) => n + r.staleTokenSends, 0);
  const seedWall = results.reduce((n, r) => n + r.wallMs, 0);
  const runWall = results.reduce((n, r) => n + r.runWallMs, 0);
  const lines = [
    `seeds: ${results.length} (${[...byProfile].map(([p, n]) => `${p} ${n}`).join(', ')})`,
    `passed: ${results.length - failed.length} (${recovered} of them after a clear failure and a rerun with faults off)`,
    `failed: ${failed.length}`,
    `wall time: ${duration(wallMs)}; ${((results.length / wallMs) * 1000).toFixed(2)} seeds/s`,
    `per seed: ${(seedWall / Math.max(1, results.length)).toFixed(0)} ms of wall time, ${((100 * runWall) / Math.max(1, seedWall)).toFixed(0)}% of it in runIngestion, the rest in the checks`,
    `virtual time: ${duration(virtualMs)} in total (${(virtualMs / Math.max(1, wallMs)).toFixed(0)}x wall time)`,
    `records: ${records}; requests: ${requests}; requests sent with a token past its exp (each the one that discovered it): ${stale}`,
    `faults injected: ${faults.map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
  ];
  if (failed.length > 0) lines.push('replay a failing seed with its command above; add --trace to print its request log');
  return lines.join('\n');
}
