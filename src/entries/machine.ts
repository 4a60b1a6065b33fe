// `ingest/machine`: the run's XState machine, to draw, inspect, or run with actors of one's own
// (`ingestionRun.provide({ actors: { prepare, fetchPages, writeFinalFile, uploadFile, writeReport } })`).
export { ingestionRun, type IngestionRunMachine } from '../../machines/ingestionRun.js';
export type { IngestionRunInput } from '../run/runTypes.js';
