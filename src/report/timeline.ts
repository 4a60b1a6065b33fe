import type { StateVisit } from './runReport.js';

/** Total time the run spent in one state, over all its visits. */
export interface StateTime {
  readonly state: string;
  readonly totalMs: number;
  readonly visits: number;
  /** Share of the time covered by the whole timeline, 0..1 (0 for an empty timeline). */
  readonly share: number;
}

/** Aggregates the timeline per state, in order of first entry (the run's own story order). */
export function timeByState(timeline: readonly StateVisit[]): StateTime[] {
  const byState = new Map<string, { totalMs: number; visits: number }>();
  let sum = 0;
  for (const visit of timeline) {
    const entry = byState.get(visit.state) ?? { totalMs: 0, visits: 0 };
    entry.totalMs += visit.durationMs;
    entry.visits += 1;
    byState.set(visit.state, entry);
    sum += visit.durationMs;
  }
  return [...byState].map(([state, { totalMs, visits }]) => ({
    state,
    totalMs,
    visits,
    share: sum > 0 ? totalMs / sum : 0,
  }));
}

/** The ordered visits to show, with the middle cut out when a 429 storm made the list long. */
export interface TimelineExcerpt {
  readonly head: readonly (StateVisit & { readonly index: number })[];
  /** Visits left out between head and tail (all of them are in the JSON report). */
  readonly omitted: number;
  readonly tail: readonly (StateVisit & { readonly index: number })[];
}

/** Keeps the first and last `max / 2` visits: how the run started and how it ended. */
export function timelineExcerpt(timeline: readonly StateVisit[], max = 40): TimelineExcerpt {
  const numbered = timeline.map((visit, i) => ({ ...visit, index: i + 1 }));
  if (numbered.length <= max) return { head: numbered, omitted: 0, tail: [] };
  const half = Math.max(1, Math.floor(max / 2));
  return {
    head: numbered.slice(0, half),
    omitted: numbered.length - 2 * half,
    tail: numbered.slice(numbered.length - half),
  };
}
