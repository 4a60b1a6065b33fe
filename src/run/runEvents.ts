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
