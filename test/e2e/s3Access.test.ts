import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { startS3Proxy } from '../support/startS3Proxy.js';
import { customerRequests, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

const SIM = { profile: 'calm', records: 300, seed: 2 } as const;

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Every file the run left under its data directory's reports, as text. */
async function reportTexts(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'reports', 'customers');
  const names = await readdir(dir);
  expect(names.length).toBeGreaterThan(0);
  return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
}

describe('reliability row 23: S3 problems are found before any page is fetched', () => {
  it('a missing bucket: a clear failure naming it, no /customers request', async () => {
    env = await startE2eEnv(SIM);
    const report = await runIngestion(env.options({ runId: 'nobucket', bucket: 'no-such-bucket' }), env.context());
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/bucket "no-such-bucket" does not exist/);
    expect(customerRequests(env.sim)).toBe(0);
    expect(report.pages.staged).toBe(0);
  });

  it('wrong S3 credentials: a clear failure, no /customers request, no key material anywhere', async () => {
    env = await startE2eEnv(SIM);
    const wrong = { accessKeyId: 'AKIAE2EWRONGKEY00001', secretAccessKey: 'e2e-canary-secret-0f9c1d7e' };
    const report = await runIngestion(env.options({ runId: 'badkeys' }), env.context({ s3Credentials: wrong }));
    expect(report.status).toBe('failed');
    expect(report.error).toMatch(/S3 rejected the credentials \(InvalidAccessKeyId\) for bucket "lake"/);
    expect(customerRequests(env.sim)).toBe(0);
    const texts = `${report.error ?? ''}\n${JSON.stringify(report)}\n${await reportTexts(env.dataDir)}`;
    expect(texts).not.toContain(wrong.secretAccessKey);
    expect(texts).not.toContain(wrong.accessKeyId);
  });

  it('the store is checked while the login is under way, not before it', async () => {
    env = await startE2eEnv(SIM);
    const sim = env.sim;
    const proxy = await startS3Proxy(env.s3.endpoint);
    try {
      let loginSeen = false;
      // The bucket check is held until the API has answered a login (at most 3 s: a run that logs
      // in only after the checks goes on then, and fails the expectation).
      proxy.setHook(async ({ operation }) => {
        if (operation !== 'HeadBucket') return;
        for (const deadline = Date.now() + 3000; !loginSeen && Date.now() < deadline;) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          loginSeen = sim.stats().logins.succeeded > 0;
        }
      });
      const report = await runIngestion(env.options({ runId: 'overlap', s3Endpoint: proxy.endpoint }), env.context());
      expect(report.status).toBe('succeeded');
      expect(loginSeen).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
