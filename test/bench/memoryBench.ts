import type { BenchRow } from './benchRow.js';
import { mb, formatPhases, measureRunAgainst, phaseFigures, withServe, type BenchContext } from './measureRun.js';

/** Targets of reliability row 28 (docs/reliability.md): every size under 200 MB, and flat from the smallest to the largest. */
export const memoryTargets = { peakMb: 200, growth: 1.2 } as const;

const megabytesByPhase = (bytes: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(bytes).map(([phase, b]) => [phase, Math.round(mb(b))]));

/**
 * Peak RSS of whole runs (`runIngestion` in its own process) on `calm` at each size, with the
 * simulator in another process and S3 in the bench's; plus wall time and end-to-end records/s.
 */
export async function runMemoryBench(ctx: BenchContext, sizes: readonly number[]): Promise<void> {
  const peaks: { records: number; peakMb: number }[] = [];
  for (const records of sizes) {
    const scenario = `calm ${records.toLocaleString('en-US')} records`;
    await ctx.scenario(`memory ${scenario}`, async () => {
      const m = await withServe(['--profile', 'calm', '--seed', '1', '--records', String(records)], (serve) =>
        measureRunAgainst(ctx, serve, `bench-memory-${records}`),
      );
      if (m.run.recordsUnique !== records) throw new Error(`the run delivered ${m.run.recordsUnique} of ${records} records`);
      const peakMb = mb(m.run.maxRssBytes);
      peaks.push({ records, peakMb });
      const wallSeconds = m.run.runMs / 1000;
      const recordsPerSecond = records / wallSeconds;
      ctx.log(
        `memory  ${scenario}: peak RSS ${peakMb.toFixed(0)} MB, run ${wallSeconds.toFixed(1)} s (process ${(m.processWallMs / 1000).toFixed(1)} s), ${recordsPerSecond.toFixed(0)} rec/s; phases ${formatPhases(m.run.phasesMs, m.run.staging)}; peak RSS MB by phase ${JSON.stringify(megabytesByPhase(m.run.peakRssByPhase))}`,
      );
      ctx.record({
        bench: 'memory',
        scenario,
        measure: 'peak RSS MB',
        value: peakMb,
        target: `< ${memoryTargets.peakMb} MB`,
        pass: peakMb < memoryTargets.peakMb,
        figures: {
          recordsPerSecond,
          peakRssMb: peakMb,
          wallSeconds,
          processWallSeconds: m.processWallMs / 1000,
          heapUsedMb: mb(m.run.heapUsedBytes),
          outputMb: mb(m.run.outputBytes),
          ...phaseFigures(m.run.phasesMs, m.run.staging),
          ...Object.fromEntries(Object.entries(megabytesByPhase(m.run.peakRssByPhase)).map(([phase, v]) => [`${phase}PeakRssMb`, v])),
        },
      });
    });
  }
  const smallest = peaks[0];
  const largest = peaks[peaks.length - 1];
  if (smallest && largest && largest !== smallest) {
    const growth = largest.peakMb / smallest.peakMb;
    const row: BenchRow = {
      bench: 'memory',
      scenario: `calm ${largest.records.toLocaleString('en-US')} / ${smallest.records.toLocaleString('en-US')}`,
      measure: 'peak RSS ratio',
      value: growth,
      target: `≤ ${memoryTargets.growth}`,
      pass: growth <= memoryTargets.growth,
      figures: { peakRssMb: largest.peakMb },
    };
    ctx.record(row);
  }
}
