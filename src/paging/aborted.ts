import { Observable } from 'rxjs';

/** Errors with the signal's reason when it aborts; never emits. */
export function aborted$(signal: AbortSignal): Observable<never> {
  return new Observable<never>((subscriber) => {
    const onAbort = (): void => subscriber.error(signal.reason);
    if (signal.aborted) {
      onAbort();
      return undefined;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  });
}
