import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerSecret, SecretRegistry } from '../../src/logging/redaction.js';
import { redactReport } from '../../src/report/redactReport.js';
import { renderHtml } from '../../src/report/renderHtml.js';
import { renderMarkdown } from '../../src/report/renderMarkdown.js';
import { renderSummary } from '../../src/report/renderSummary.js';
import type { RunReport } from '../../src/report/runReport.js';
import { writeReportFiles } from '../../src/report/writeReportFiles.js';
import { failedReport, sampleReport } from './sampleReport.js';

const CANARY = 'canary-S3cr3t/value+1';

/** A failed run whose error, endpoint and anomalies leaked a registered secret. */
const leaky: RunReport = {
  ...failedReport,
  error: `login refused for password ${CANARY}; check INGEST_PASSWORD`,
  endpoint: `https://api.example.com/customers?api_key=${encodeURIComponent(CANARY)}`,
  anomalies: [`page 3 echoed ${JSON.stringify(CANARY)} back`],
};

describe('secrets in the report', () => {
  it('every renderer scrubs registered secret values from every field', () => {
    const secrets = new SecretRegistry();
    secrets.register(CANARY);
    const outputs = [
      renderMarkdown(leaky, { secrets }),
      renderHtml(leaky, { secrets }),
      renderSummary(leaky, { color: false, secrets }),
      renderSummary(leaky, { color: true, secrets }),
    ];
    for (const out of outputs) {
      expect(out).not.toContain(CANARY);
      expect(out).not.toContain(encodeURIComponent(CANARY));
      expect(out).toContain('[REDACTED]');
      expect(out).toContain('check INGEST');
    }
  });

  it('uses the process-wide registry by default', () => {
    const unregister = registerSecret(CANARY);
    try {
      expect(renderMarkdown(leaky)).not.toContain(CANARY);
      expect(renderHtml(leaky)).not.toContain(CANARY);
      expect(renderSummary(leaky, { color: false })).not.toContain(CANARY);
    } finally {
      unregister();
    }
  });

  it('catches secret-shaped text nobody registered', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXNpZw';
    const report = redactReport(
      {
        ...failedReport,
        endpoint: 'https://demo:demo-password@api.example.com/customers?page=1&access_token=abc123',
        error: `401 with Authorization: Bearer ${jwt}; AWS key AKIAIOSFODNN7EXAMPLE rejected`,
      },
      new SecretRegistry(),
    );
    expect(report.endpoint).toBe('https://[REDACTED]@api.example.com/customers?page=1&access_token=[REDACTED]');
    expect(report.error).toBe('401 with Authorization: Bearer [REDACTED]; AWS key [REDACTED] rejected');
    // Counters, hashes and ordinary text are untouched.
    const clean = redactReport(sampleReport, new SecretRegistry());
    expect(clean).toEqual(sampleReport);
  });

  it('writes no secret into any report file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-report-secrets-'));
    try {
      const secrets = new SecretRegistry();
      secrets.register(CANARY);
      await writeReportFiles(leaky, dir, { secrets });
      const names = await readdir(dir);
      expect(names).toHaveLength(3);
      for (const name of names) {
        const text = await readFile(join(dir, name), 'utf8');
        expect(text, name).not.toContain(CANARY);
        expect(text, name).not.toContain(encodeURIComponent(CANARY));
        expect(text, name).toContain('[REDACTED]');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
