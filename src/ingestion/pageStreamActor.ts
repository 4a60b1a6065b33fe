import type { Observable } from 'rxjs';
import { fromCallback, type CallbackActorLogic } from 'xstate';
import type { StreamEvent } from '../paging/streamEvent.js';
import type { FetchPagesInput } from '../run/runTypes.js';
import { isHttpStatusError } from '../errors.js';
import { describeError } from '../run/describeError.js';
import {
  isCounted,
  type CountedStreamEvent,
  type StopStreamCommand,
  type StreamCountedEvent,
  type StreamEndedEvent,
  type StreamFailedEvent,
} from '../run/runEvents.js';

/** Creates the page stream; it must stop dispatching pages when `signal` aborts and then complete. */
export type PageStreamFactory = (input: FetchPagesInput, signal: AbortSignal) => Observable<StreamEvent>;

export type PageStreamLogic = CallbackActorLogic<StopStreamCommand, FetchPagesInput>;

/**
 * Wraps the page stream as one long-running callback actor: every StreamEvent reaches the machine
 * (those only counted together, below), and `run.cancel` aborts the signal the stream was built with, so it can finish the page
 * in flight instead of being torn down mid-transaction. A callback actor (not an observable
 * actor) because it must receive that command.
 *
 * Events that are only counted wait for the end of the event loop's turn and go as one
 * `stream.counted`: with small pages a burst of answers brings dozens of them, and each machine
 * step costs about 0.1 ms and 8 KB. Any other event sends them first, so the machine sees every
 * event in the stream's order. Once a stop is asked for, each goes as it comes: a second stop
 * ends the run there and then, and would lose what waited for the turn to end.
 */
export function fromPageStream(create: PageStreamFactory): PageStreamLogic {
  return fromCallback<StopStreamCommand, FetchPagesInput>(({ input, sendBack, receive }) => {
    const controller = new AbortController();
    let counted: CountedStreamEvent[] = [];
    let flushing: NodeJS.Immediate | undefined;
    const flush = (): void => {
      if (flushing !== undefined) clearImmediate(flushing);
      flushing = undefined;
      if (counted.length === 0) return;
      const events = counted;
      counted = [];
      sendBack({ type: 'stream.counted', events } satisfies StreamCountedEvent);
    };
    const send = (event: StreamEvent | StreamFailedEvent | StreamEndedEvent): void => {
      flush();
      sendBack(event);
    };
    receive((command) => {
      if (command.type !== 'run.cancel') return;
      // Counted before the stop, as they happened before it.
      flush();
      controller.abort(command.reason);
    });
    const subscription = create(input, controller.signal).subscribe({
      next: (event) => {
        if (!isCounted(event)) return send(event);
        counted.push(event);
        if (controller.signal.aborted) flush();
        else flushing ??= setImmediate(flush);
      },
      error: (error: unknown) => send({ type: 'stream.failed', error: describeError(error), permanent: isHttpStatusError(error) }),
      complete: () => send({ type: 'stream.ended' }),
    });
    return () => {
      // Unsubscribe first: a stream that errors on abort must not send into a run that moved on.
      subscription.unsubscribe();
      if (flushing !== undefined) clearImmediate(flushing);
      controller.abort('the run left the fetching phase');
    };
  });
}
