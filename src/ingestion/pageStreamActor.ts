import type { Observable } from 'rxjs';
import { fromCallback, type CallbackActorLogic } from 'xstate';
import type { StreamEvent } from '../paging/streamEvent.js';
import type { FetchPagesInput } from '../run/runTypes.js';
import { isHttpStatusError } from '../errors.js';
import { describeError } from '../run/describeError.js';
import type { StopStreamCommand, StreamEndedEvent, StreamFailedEvent } from '../run/runEvents.js';

/** Creates the page stream; it must stop dispatching pages when `signal` aborts and then complete. */
export type PageStreamFactory = (input: FetchPagesInput, signal: AbortSignal) => Observable<StreamEvent>;

export type PageStreamLogic = CallbackActorLogic<StopStreamCommand, FetchPagesInput>;

/**
 * Wraps the page stream as one long-running callback actor: every StreamEvent becomes a machine
 * event, and `run.cancel` aborts the signal the stream was built with, so it can finish the page
 * in flight instead of being torn down mid-transaction. A callback actor (not an observable
 * actor) because it must receive that command.
 */
export function fromPageStream(create: PageStreamFactory): PageStreamLogic {
  return fromCallback<StopStreamCommand, FetchPagesInput>(({ input, sendBack, receive }) => {
    const controller = new AbortController();
    receive((command) => {
      if (command.type === 'run.cancel') controller.abort(command.reason);
    });
    const subscription = create(input, controller.signal).subscribe({
      next: (event) => sendBack(event),
      error: (error: unknown) =>
        sendBack({ type: 'stream.failed', error: describeError(error), permanent: isHttpStatusError(error) } satisfies StreamFailedEvent),
      complete: () => sendBack({ type: 'stream.ended' } satisfies StreamEndedEvent),
    });
    return () => {
      // Unsubscribe first: a stream that errors on abort must not send into a run that moved on.
      subscription.unsubscribe();
      controller.abort('the run left the fetching phase');
    };
  });
}
