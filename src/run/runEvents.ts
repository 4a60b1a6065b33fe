import type { StreamEvent } from '../paging/streamEvent.js';

/** One login request (the first or a refresh), as the auth provider tells it: counted into the run's figures. */
export interface LoginAttemptEvent {
  readonly type: 'login.attempt';
  readonly ok: boolean;
  readonly durationMs: number;
}

/** The machine asks the stream to stop at the next page boundary. */
export interface StopStreamCommand {
  readonly type: 'run.cancel';
  readonly reason: string;
}

/** Sent when the stream errors: the message only, so that events stay plain data. */
export interface StreamFailedEvent {
  readonly type: 'stream.failed';
  readonly error: string;
  /** The API refused for good (e.g. 404): a rerun would fail the same way. */
  readonly permanent?: boolean;
}

/** Sent when the stream completes (after `stream.completed`, or early after a stop). */
export interface StreamEndedEvent {
  readonly type: 'stream.ended';
}

/** The stream events that only move the run's figures: in every fetching state they are counted and nothing else. */
const countedTypes = [
  'request.sent',
  'request.done',
  'page.staged',
  'pages.committed',
  'page.retry',
  'paging.anomaly',
] as const satisfies ReadonlyArray<StreamEvent['type']>;
const counted: ReadonlySet<string> = new Set(countedTypes);
export type CountedStreamEvent = Extract<StreamEvent, { type: (typeof countedTypes)[number] }>;
export function isCounted(event: StreamEvent): event is CountedStreamEvent {
  return counted.has(event.type);
}

/**
 * Counted events, delivered together: the stream sends those of one turn of the event loop as
 * one machine event, so that a burst of pages costs the machine one step, not one per event.
 */
export interface StreamCountedEvent {
  readonly type: 'stream.counted';
  readonly events: readonly CountedStreamEvent[];
}
