import { join } from 'node:path';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';

/** Where a run keeps its files under `dataDir`. */
export interface RunPaths {
  readonly staging: string;
  readonly output: string;
  readonly reports: string;
}

export function runPaths(config: Pick<ResolvedRunConfig, 'dataDir' | 'dataset' | 'ingestDate' | 'runId' | 'format'>): RunPaths {
  const { dataDir, dataset, ingestDate, runId, format } = config;
  return {
    // By dataset: the resources of one run share its id.
    staging: join(dataDir, 'staging', dataset, `${runId}.duckdb`),
    output: join(dataDir, 'output', dataset, `ingest_date=${ingestDate}`, `${dataset}_${runId}.${format}`),
    reports: join(dataDir, 'reports', dataset),
  };
}
