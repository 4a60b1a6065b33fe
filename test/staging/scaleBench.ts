/**
 * Manual scale probe for reliability row 28 of docs/reliability.md (not a test, not in CI): stages `records`
 * simulator customers straight into a StagingStore (no HTTP, 1 in 1000 a repeated key), or
 * runs one step on what an earlier `stage` left in `dir`: `write:<format>` or `report`. Prints
 * the step's wall time and the process's peak RSS as JSON; run each step in its own process:
 *   npx tsx test/staging/scaleBench.ts <dir> <records> stage|write:parquet|report [memoryLimit] [none|clean]
 * DUCKDB_THREADS overrides the store's thread count.
 */
import { join } from 'node:path';
import { customerAt, toJson } from '../../src/simulator/index.js';
import { StagingStore } from '../../src/staging/index.js';
import { stagingReport, writeFinalFile } from '../../src/output/index.js';
import type { OutputFormat } from '../../src/output/renderColumns.js';

const [dir = '/tmp/scale', recordsArg = '100000', step = 'stage', memoryLimit = '256MB', transform = 'none'] = process.argv.slice(2);
const records = Number(recordsArg);
const pageSize = 1000;
const store = await StagingStore.open({
  path: join(dir, 'run.duckdb'),
  runId: 'bench',
  memoryLimit,
  ...(process.env['THREADS'] ? { threads: Number(process.env['THREADS']) } : {}),
});
const started = performance.now();
let result: unknown;
if (step === 'stage') {
  for (let page = 1; page <= Math.ceil(records / pageSize); page++) {
    const recs: unknown[] = [];
    const raw: string[] = [];
    for (let i = 0; i < pageSize && (page - 1) * pageSize + i < records; i++) {
      // 0.1% of records repeat the previous page's last id (overlapping pages).
      const id = i === 0 && page > 1 && page % 10 === 0 ? (page - 1) * pageSize : (page - 1) * pageSize + i + 1;
      const rec = customerAt(1, id, 0.02);
      raw.push(toJson(rec));
      recs.push(JSON.parse(raw[raw.length - 1] as string) as unknown);
    }
    await store.stagePage({ page, records: recs, rawRecords: raw, fetchedAt: 0, attempts: 1, latencyMs: 5, keyField: 'id' });
  }
  result = await store.counts();
} else if (step === 'report') {
  const r = await stagingReport(store);
  result = { records: r.records, columns: r.columns.length };
} else if (step.startsWith('write:')) {
  const format = step.slice(6) as OutputFormat;
  const f = await writeFinalFile(store, { format, path: join(dir, `out.${format}`), transform: transform as 'none' | 'clean' });
  result = { rows: f.rows, dups: f.duplicatesDropped, rejected: f.rejected, bytes: f.bytes };
}
const ms = performance.now() - started;
await store.close();
console.log(
  JSON.stringify({
    step,
    records,
    memoryLimit,
    transform,
    seconds: +(ms / 1000).toFixed(2),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    result,
  }),
);
