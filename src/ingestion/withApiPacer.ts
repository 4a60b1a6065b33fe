import type { ResolvedRun } from '../config/loadRunConfig.js';
import { loggerFor } from '../logging/index.js';
import { createPacer, type Pacer } from '../pacing/pacer.js';
import type { Runtime } from '../runtime/runtime.js';
import { paceMemory } from './paceMemory.js';

/**
 * Runs `work` with the run's one pacer for the API's origin (its rate limit is the API's, however
 * many resources share it), started from the pace an earlier run learned from that API unless
 * the limit is configured or `rememberPace` is off; what this run learned is kept when it ends,
 * failed or not.
 */
export async function withApiPacer<T>(run: ResolvedRun, runtime: Runtime, work: (pacer: Pacer) => Promise<T>): Promise<T> {
  const origin = new URL(run.api.baseUrl).origin;
  const logger = loggerFor(runtime.logger, 'pacing');
  const memory = run.rememberPace && run.rateLimit === undefined ? paceMemory(run.dataDir, () => runtime.clock.now(), logger) : undefined;
  // Real file I/O: tracked, so that a simulated clock waits for it instead of declaring a stall.
  const remembered = memory && (await runtime.clock.track(memory.recall(origin)));
  if (remembered !== undefined)
    logger.info(
      { origin, ...remembered },
      'starting from the pace an earlier run learned from this API (its 429s and headers still correct it)',
    );
  const pacer = createPacer(runtime.clock, { rateLimit: run.rateLimit, maxRate: run.maxRate, remembered });
  try {
    return await work(pacer);
  } finally {
    const learned = pacer.limiter.learned;
    pacer.limiter.dispose();
    if (memory && learned !== undefined) await runtime.clock.track(memory.keep(origin, learned));
  }
}
