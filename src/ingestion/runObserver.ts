import type { StateValue } from 'xstate';
import type { RunCounters } from '../run/runTypes.js';
import type { Inspect } from './runMachine.js';
import { flattenStateValue } from './timelineRecorder.js';

export interface RunObserver {
  /** The root machine's state each time it changes (`ingesting.backingOff`). */
  readonly onState?: ((state: string) => void) | undefined;
  /** The machine's counters each time they change. */
  readonly onCounters?: ((counters: RunCounters) => void) | undefined;
}

/** An inspector that reports the run machine's state and counters as they change. */
export function runObserver({ onState, onCounters }: RunObserver): Inspect {
  let state = '';
  let counters: RunCounters | undefined;
  return (event) => {
    if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
    const snapshot = event.snapshot as { value?: StateValue; context?: { counters?: RunCounters } };
    const next = snapshot.value === undefined ? state : flattenStateValue(snapshot.value);
    if (next !== state) onState?.((state = next));
    // The machine replaces its counters when it counts: a new object is a change.
    const latest = snapshot.context?.counters;
    if (latest !== undefined && latest !== counters) onCounters?.((counters = latest));
  };
}
