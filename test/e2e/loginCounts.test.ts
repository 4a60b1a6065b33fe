import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { renderSummary } from '../../src/report/renderSummary.js';
import { startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('every login counts', () => {
  it("the report's logins, failed logins and their time are the simulator's own count of POST /login", async () => {
    // Faults on /login too, and tokens that die within the run: a first login that fails, refreshes later.
    env = await startE2eEnv({
      profile: 'calm',
      records: 1500,
      seed: 21,
      serverErrorRate: 0.35,
      faultsOnLogin: true,
      tokenLifetimeSeconds: 1,
    });
    const report = await runIngestion(env.options({ runId: 'logins', pageSize: 50, format: 'ndjson' }), env.context());
    expect(report.error).toBeUndefined();
    expect(report.status).toBe('succeeded');
    const login = env.sim.stats().byEndpoint.login;
    const served = Object.values(login).reduce((sum, n) => sum + n, 0);
    const failed = served - (login['200'] ?? 0);
    expect(failed).toBeGreaterThan(0);
    expect(report.requests.logins).toBe(served);
    expect(report.requests.failedLogins).toBe(failed);
    expect(report.requests.loginMs).toBeGreaterThan(0);
    expect(renderSummary(report, { color: false })).toContain(`logins    ${served} (${failed} failed) in `);
  });
});
