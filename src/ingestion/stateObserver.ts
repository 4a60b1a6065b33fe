import type { StateValue } from 'xstate';
import type { Inspect } from './runMachine.js';
import { flattenStateValue } from './timelineRecorder.js';

/** An inspector that calls `onState` with the root machine's state each time it changes (`ingesting.backingOff`). */
export function stateObserver(onState: (state: string) => void): Inspect {
  let last = '';
  return (event) => {
    if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
    const value = (event.snapshot as { value?: StateValue }).value;
    const state = value === undefined ? last : flattenStateValue(value);
    if (state !== last) onState((last = state));
  };
}
