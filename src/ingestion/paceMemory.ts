import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LearnedPace } from '../pacing/rateLimiter.js';
import { writeAtomically } from '../report/writeAtomically.js';

/**
 * What runs learned of each API's rate limit, by origin, in `<dataDir>/pace.json`: the next run
 * against the same API starts from it instead of learning it again (slow start, then 429s), as
 * TCP keeps a route's window. A failed read or write costs only that: the run learns as if first.
 */
export interface PaceMemory {
  /** The pace learned from `origin` within the last 30 days, or undefined. */
  recall(origin: string): Promise<RememberedPace | undefined>;
  /** Keeps `pace` as `origin`'s, learned now. */
  keep(origin: string, pace: LearnedPace): Promise<void>;
}

export type RememberedPace = LearnedPace & { readonly learnedAt: string };

/** An API's limit rarely changes; a month-old one is still the better guess, and a wrong one costs one 429's correction. */
const maxAgeMs = 30 * 24 * 3600 * 1000;
/** Origins kept, the latest learned: a file that test servers on random ports cannot grow without bound. */
const maxOrigins = 100;

export function paceMemory(dataDir: string, now: () => number, logger: Logger): PaceMemory {
  const path = join(dataDir, 'pace.json');
  const read = async (): Promise<Record<string, RememberedPace>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        logger.warn({ path, err: error }, 'cannot read the remembered pace: learning it again');
      return {};
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, RememberedPace] => isPace(entry[1])));
    } catch (error: unknown) {
      logger.warn({ path, err: error }, 'the remembered pace is not valid JSON: learning it again (the file is replaced)');
      return {};
    }
  };
  return {
    async recall(origin) {
      const all = await read();
      const pace = Object.hasOwn(all, origin) ? all[origin] : undefined;
      return pace !== undefined && now() - Date.parse(pace.learnedAt) <= maxAgeMs ? pace : undefined;
    },
    async keep(origin, pace) {
      const kept = { ...(await read()), [origin]: { ...pace, learnedAt: new Date(now()).toISOString() } };
      const latest = Object.entries(kept)
        .sort(([, a], [, b]) => Date.parse(b.learnedAt) - Date.parse(a.learnedAt))
        .slice(0, maxOrigins);
      try {
        await mkdir(dataDir, { recursive: true });
        await writeAtomically(path, `${JSON.stringify(Object.fromEntries(latest), null, 2)}\n`);
      } catch (error: unknown) {
        logger.warn({ path, err: error }, 'cannot remember the pace learned: the next run learns it again');
      }
    },
  };
}

const isRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function isPace(v: unknown): v is RememberedPace {
  if (typeof v !== 'object' || v === null) return false;
  const { ceiling, accepted, learnedAt } = v as Record<string, unknown>;
  const rate = ceiling !== undefined ? isRate(ceiling) && accepted === undefined : isRate(accepted);
  return rate && typeof learnedAt === 'string' && Number.isFinite(Date.parse(learnedAt));
}
