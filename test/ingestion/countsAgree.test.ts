import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { createProgress } from '../../src/cli/progress.js';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import type { RunCounters } from '../../src/run/runTypes.js';
import { seededRandom } from '../../src/runtime/random.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { createSimulatorFetch } from '../../src/simulator/index.js';
import { startLocalS3, type LocalS3 } from '../../src/storage/startLocalS3.js';

describe('one source of counts', () => {
  let root: string;
  let s3: LocalS3;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'counts-agree-'));
    s3 = await startLocalS3({ directory: join(root, 's3'), buckets: ['counts'] });
  });
  afterAll(async () => {
    await s3.close();
    await rm(root, { recursive: true, force: true });
  });

  it('the machine, the progress line and the report show the same figures, and they match what the server saw', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    // 429s (a tight limit, no headers), 5xx and resets (flaky), tokens that expire mid-run.
    const api = createSimulatorFetch(
      { profile: 'flaky', records: 1500, seed: 5, rateLimit: 5, rateLimitHeaders: false, tokenLifetimeSeconds: 2 },
      clock,
    );
    const progress = createProgress({ stream: { write: () => true }, isTTY: false, clock, logger: pino({ level: 'silent' }) });
    let machine: RunCounters | undefined;
    const lastCounters = (event: InspectionEvent): void => {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
      machine = (event.snapshot as { context?: { counters?: RunCounters } }).context?.counters ?? machine;
    };
    const report = await clock.run(() =>
      runIngestion(
        {
          apiUrl: api.url,
          username: 'demo',
          password: 'demo-password',
          bucket: 'counts',
          s3Endpoint: s3.endpoint,
          s3ForcePathStyle: true,
          dataDir: join(root, 'data'),
          pageSize: 50,
          format: 'ndjson',
        },
        {
          runtime: { clock, random: seededRandom(5), fetch: api.fetch },
          s3Credentials: s3.credentials,
          inspect: lastCounters,
          // As the CLI wires its progress line.
          onEvent: (e) => progress.onEvent(e),
          onState: (s) => progress.onState(s),
          onCounters: (c) => progress.onCounters(c),
        },
      ),
    );
    progress.stop();
    expect(report.status).toBe('succeeded');

    // The faults happened, so the figures below are not all zeros.
    expect(report.requests.retries).toBeGreaterThan(0);
    expect(report.requests.rateLimited).toBeGreaterThan(0);
    expect(report.requests.tokenRefreshes).toBeGreaterThan(0);

    // The report is the machine's record.
    const { rateLimitWaitMs: _wait, ...machineRequests } = machine!.requests;
    const { rateLimitPauseMs: _pause, pace, ...reportRequests } = report.requests;
    expect(reportRequests).toEqual(machineRequests);
    expect(pace).toEqual({ from: 'slowStart', rate: 2 });
    expect(report.records.received).toBe(machine!.recordsReceived);
    expect(report.pages.staged).toBe(machine!.pagesStaged);
    expect(report.anomalies).toEqual(machine!.anomalies);

    // The progress line shows the same record.
    expect(progress.snapshot()).toMatchObject({
      pagesDone: report.pages.staged,
      pagesTotal: report.pages.total,
      records: report.records.received,
      retries: report.requests.retries,
      rateLimited: report.requests.rateLimited,
      tokenRefreshes: report.requests.tokenRefreshes,
      anomalies: report.anomalies.length,
      completed: true,
    });

    // And the record is what the server saw: every request, each status, each token after the first.
    const served = api.stats();
    const customers = served.byEndpoint.customers;
    expect(report.requests.total).toBe(Object.values(customers).reduce((a, b) => a + b, 0));
    expect(Object.values(report.requests.byStatus).reduce((a, b) => a + b, 0)).toBe(report.requests.total);
    expect(report.requests.byStatus['429']).toBe(customers['429']);
    expect(report.requests.tokenRefreshes).toBe(served.logins.succeeded - 1);
    expect(report.records.unique).toBe(1500);
  });
});
