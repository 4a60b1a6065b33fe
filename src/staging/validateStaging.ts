import type { StagePageInput, StagingStoreOptions } from './stagingTypes.js';
import { StagingError } from './stagingErrors.js';
import { recordCount } from './recordCount.js';

export function validateOpenOptions(options: Readonly<StagingStoreOptions>): void {
  if (typeof options.path !== 'string' || options.path === '')
    throw new StagingError('staging option "path" must be a non-empty file path');
  if (typeof options.runId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(options.runId)) {
    throw new StagingError('staging option "runId" must be 1-128 characters of letters, digits, ".", "_" or "-"');
  }
  for (const name of ['threads', 'scanThreads'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new StagingError(`staging option "${name}" must be a positive integer`);
  }
  if (options.onConflict !== undefined && options.onConflict !== 'first' && options.onConflict !== 'last') {
    throw new StagingError(`staging option "onConflict" must be 'first' or 'last', got ${String(options.onConflict)}`);
  }
}

export function validateStagePages(inputs: readonly Readonly<StagePageInput>[]): void {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new StagingError('stagePages: expected one page or more');
  const pages = new Set<number>();
  for (const input of inputs) {
    validateStagePage(input);
    if (pages.has(input.page)) throw new StagingError(`stagePages: page ${input.page} is given twice`);
    pages.add(input.page);
  }
}

function validateStagePage(input: Readonly<StagePageInput>): void {
  if (!Number.isSafeInteger(input.page) || input.page < 1)
    throw new StagingError(`stagePage: "page" must be a positive integer, got ${String(input.page)}`);
  if (input.records === undefined) {
    if (!Array.isArray(input.rawRecords) || !Array.isArray(input.keys))
      throw new StagingError('stagePage: "records" must be an array, or "rawRecords" and "keys" given instead');
  } else if (!Array.isArray(input.records)) throw new StagingError('stagePage: "records" must be an array');
  const count = recordCount(input);
  for (const name of ['rawRecords', 'keys'] as const) {
    const list = input[name];
    if (list !== undefined && (!Array.isArray(list) || list.length !== count))
      throw new StagingError(`stagePage: "${name}" has ${Array.isArray(list) ? list.length : 'no'} entries for ${count} records`);
  }
  if (!Number.isFinite(input.fetchedAt)) throw new StagingError('stagePage: "fetchedAt" must be epoch milliseconds');
  if (!Number.isInteger(input.attempts) || input.attempts < 1) throw new StagingError('stagePage: "attempts" must be a positive integer');
  if (!Number.isFinite(input.latencyMs) || input.latencyMs < 0)
    throw new StagingError('stagePage: "latencyMs" must be a non-negative number');
  if (typeof input.keyField !== 'string' || input.keyField === '') throw new StagingError('stagePage: "keyField" must name a field');
}
