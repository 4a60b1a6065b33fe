import { createActor, toPromise, type InspectionEvent, type Observer } from 'xstate';
import type { IngestionRunMachine } from '../../machines/ingestionRun.js';
import type { RunReport } from '../report/runReport.js';
import type { Clock } from '../runtime/clock.js';
import { describeError } from '../run/describeError.js';
import type { LoginAttemptEvent } from '../run/runEvents.js';
import type { IngestionRunInput } from '../run/runTypes.js';

export type Inspect = Observer<InspectionEvent> | ((event: InspectionEvent) => void);

export interface RunMachineOptions {
  /** Drives the machine's delays (the 429 safety net, the cancel grace). */
  readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** One or more inspectors: the timeline recorder, the Stately inspector. */
  readonly inspect?: Inspect | readonly Inspect[];
  /** Aborting it sends `run.cancel` with the abort reason (e.g. `SIGINT`). */
  readonly signal?: AbortSignal;
  /** The run's login attempts, as the auth provider tells them (`AuthProvider.subscribe`); returns how to stop listening. */
  readonly logins?: (send: (event: LoginAttemptEvent) => void) => () => void;
}

/** Fans one inspection stream out to several inspectors. */
export function combineInspectors(inspect: Inspect | readonly Inspect[] | undefined): Inspect | undefined {
  if (inspect === undefined) return undefined;
  const list: readonly Inspect[] = Array.isArray(inspect) ? inspect : [inspect as Inspect];
  if (list.length === 0) return undefined;
  return (event: InspectionEvent) => {
    for (const one of list) {
      if (typeof one === 'function') one(event);
      else one.next?.(event);
    }
  };
}

function reasonOf(signal: AbortSignal): string {
  const { reason } = signal;
  if (reason instanceof DOMException && reason.name === 'AbortError') return 'aborted';
  return describeError(reason);
}

/**
 * Runs a provided run machine to its end and resolves with its report (a failed run resolves
 * too: its report says why). Rejects only if the machine itself breaks.
 */
export async function runMachine(machine: IngestionRunMachine, input: IngestionRunInput, options: RunMachineOptions): Promise<RunReport> {
  const { signal } = options;
  const inspect = combineInspectors(options.inspect);
  const actor = createActor(machine, { input, clock: options.clock, ...(inspect ? { inspect } : {}) });
  const cancel = (): void => {
    if (signal) actor.send({ type: 'run.cancel', reason: reasonOf(signal) });
  };
  const done = toPromise(actor);
  // Before the start: the first login is part of it.
  const stopLogins = options.logins?.((event) => actor.send(event));
  actor.start();
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await done;
  } finally {
    signal?.removeEventListener('abort', cancel);
    stopLogins?.();
  }
}
