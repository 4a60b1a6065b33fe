import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { countEvent, emptyCounters } from '../../src/run/runCounters.js';
import type { RunCounters } from '../../src/run/runTypes.js';

/** A stream's events counted as a run counts them (a pause lasts from a `rateLimit.hit` to its `rateLimit.resumed`). */
export function tallyEvents(events: readonly StreamEvent[]): RunCounters {
  let paused = false;
  let counters = emptyCounters;
  for (const event of events) {
    counters = countEvent(counters, event, { paused, pagesSkippedOnResume: 0 });
    if (event.type === 'rateLimit.hit') paused = true;
    if (event.type === 'rateLimit.resumed') paused = false;
  }
  return counters;
}
