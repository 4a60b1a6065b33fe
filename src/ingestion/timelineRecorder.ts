import type { InspectionEvent, Observer, StateValue } from 'xstate';
import type { StateVisit } from '../report/runReport.js';

function leafPaths(value: StateValue, prefix: string): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  return Object.entries(value).flatMap(([key, child]) =>
    child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
      ? [`${prefix}${key}`]
      : leafPaths(child, `${prefix}${key}.`),
  );
}

/** `{ ingesting: 'backingOff' }` -> `ingesting.backingOff`; parallel regions are joined with `, `. */
export function flattenStateValue(value: StateValue): string {
  return leafPaths(value, '').join(', ');
}

export interface TimelineRecorder {
  /** Pass as (or with) the actor's `inspect` option. */
  readonly inspect: Observer<InspectionEvent>;
  /** The states entered so far, in order; the current one lasts until now. */
  timeline(): readonly StateVisit[];
  /** When the first state was entered (the run's start), once it was. */
  startedAtMs(): number | undefined;
}

interface OpenVisit {
  readonly state: string;
  readonly enteredAtMs: number;
  durationMs: number | undefined;
}

function hasValue(snapshot: unknown): snapshot is { value: StateValue } {
  if (typeof snapshot !== 'object' || snapshot === null || !('value' in snapshot)) return false;
  const { value } = snapshot;
  return typeof value === 'string' || (typeof value === 'object' && value !== null);
}

/**
 * Records each state the root actor enters, when (from `clock`) and for how long, from the
 * '@xstate.snapshot' inspection events. Children's snapshots and snapshots that keep the same
 * state (counters moving, a re-entered pause) do not start a visit.
 */
export function createTimelineRecorder(clock: { now(): number }): TimelineRecorder {
  const visits: OpenVisit[] = [];
  const inspect: Observer<InspectionEvent> = {
    next(event) {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
      if (!hasValue(event.snapshot)) return;
      const state = flattenStateValue(event.snapshot.value);
      const current = visits.at(-1);
      if (current?.state === state) return;
      const now = clock.now();
      if (current) current.durationMs = Math.round(now - current.enteredAtMs);
      visits.push({ state, enteredAtMs: now, durationMs: undefined });
    },
  };
  return {
    inspect,
    startedAtMs: () => visits[0]?.enteredAtMs,
    timeline() {
      const now = clock.now();
      return visits.map((v) => ({
        state: v.state,
        enteredAt: new Date(v.enteredAtMs).toISOString(),
        // Whole ms: a simulated clock may sit between them (jittered waits).
        durationMs: v.durationMs ?? Math.round(now - v.enteredAtMs),
      }));
    },
  };
}
