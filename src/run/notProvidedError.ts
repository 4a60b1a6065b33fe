import { IngestError } from '../errors.js';

// Internal, not exported: the run machine catches every actor's error; a caller sees only its message in the report.
/** The machine was run without binding one of its actors with `machine.provide(...)`. */
export class NotProvidedError extends IngestError {
  override name = 'NotProvidedError';
  constructor(readonly actor: string) {
    super(`the run machine's "${actor}" actor was not provided: bind it with machine.provide({ actors: { ${actor} } })`);
  }
}
