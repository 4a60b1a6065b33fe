import { lastValueFrom, tap, toArray } from 'rxjs';
import type { AuthProvider } from '../../src/auth/authProvider.js';
import { pageStream, type PageStream } from '../../src/paging/pageStream.js';
import type { PageStreamDeps, PageStreamOptions, StagedPage } from '../../src/paging/pageStreamOptions.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { clockScheduler } from '../../src/runtime/clockScheduler.js';
import { seededRandom } from '../../src/runtime/random.js';
import { createRuntime, type Fetch } from '../../src/runtime/runtime.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch, type SimulatorOptions } from '../../src/simulator/index.js';
import { simAuth } from './simAuth.js';
import { tallyEvents } from '../support/tallyEvents.js';
import type { RunCounters } from '../../src/run/runTypes.js';

export interface HarnessResult {
  readonly staged: StagedPage[];
  readonly events: StreamEvent[];
  /** The events counted as a run counts them. */
  readonly counts: RunCounters;
  readonly error: unknown;
  readonly stream: PageStream;
  readonly sim: ReturnType<typeof createSimulatorFetch>;
  readonly clock: SimulatedClock;
  readonly auth: AuthProvider & { logins: number };
  readonly elapsedMs: number;
}

/** Runs a page stream against the in-memory simulator under virtual time. */
export async function runStream(
  sim: SimulatorOptions,
  options: Omit<PageStreamOptions, 'url'> & { readonly path?: string },
  extra: {
    readonly seed?: number;
    readonly auth?: AuthProvider & { logins: number };
    readonly clock?: SimulatedClock;
    readonly onEvent?: (e: StreamEvent) => void;
    readonly stage?: PageStreamDeps['stage'];
    readonly wrap?: (fetch: Fetch, clock: SimulatedClock) => Fetch;
    readonly signal?: AbortSignal;
  } = {},
): Promise<HarnessResult> {
  const clock = extra.clock ?? new SimulatedClock(Date.UTC(2026, 0, 1));
  const start = clock.now();
  const simulator = createSimulatorFetch(sim, clock);
  const fetch = extra.wrap ? extra.wrap(simulator.fetch, clock) : simulator.fetch;
  const runtime = createRuntime({ clock, random: seededRandom(extra.seed ?? 7), fetch });
  const auth = extra.auth ?? simAuth(simulator.fetch, clock, simulator.url);
  const staged: StagedPage[] = [];
  const { path = '/customers', ...rest } = options;
  const stream = pageStream(
    { ...rest, url: `${simulator.url}${path}`, ...(extra.signal ? { signal: extra.signal } : {}) },
    {
      runtime,
      auth,
      scheduler: clockScheduler(clock),
      stage: extra.stage ?? (async (pages) => void staged.push(...pages)),
    },
  );
  let error: unknown;
  const events: StreamEvent[] = [];
  await clock.run(async () => {
    try {
      await lastValueFrom(
        stream.pipe(
          tap((e) => {
            events.push(e);
            extra.onEvent?.(e);
          }),
          toArray(),
        ),
      );
    } catch (e: unknown) {
      error = e;
    }
  });
  return { staged, events, counts: tallyEvents(events), error, stream, sim: simulator, clock, auth, elapsedMs: clock.now() - start };
}

/** Ids of staged records, in page order. */
export function stagedIds(staged: readonly StagedPage[]): number[] {
  return [...staged].sort((a, b) => a.page - b.page).flatMap((p) => (p.records ?? []).map((r) => (r as { id: number }).id));
}

/** 1..n. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
