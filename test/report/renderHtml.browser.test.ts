import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/renderHtml.js';
import type { RunReport } from '../../src/report/runReport.js';
import { sampleReport } from './sampleReport.js';

const chromium = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The DOM a real headless Chromium builds from the page, after any script would have run. */
async function renderedDom(html: string): Promise<string> {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(file, html);
  const { stdout } = await promisify(execFile)(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--virtual-time-budget=2000',
      '--dump-dom',
      `file://${file}`,
    ],
    { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

// .ci/run installs Debian's chromium; a developer machine without it skips these.
describe.skipIf(!existsSync(chromium))('the HTML report in a real browser', () => {
  it('renders every section with the report figures', async () => {
    const dom = await renderedDom(renderHtml(sampleReport));
    for (const heading of ['Time per state', 'Requests', 'Pages and records', 'Output', 'Delivery']) expect(dom).toContain(heading);
    expect(dom).toContain(sampleReport.runId);
    expect(dom).toContain(sampleReport.records.received.toLocaleString('en-US'));
    expect(dom).toMatch(/<svg[\s\S]*<rect/);
  });

  it('runs no script and loads nothing from API-supplied text (XSS)', async () => {
    const payload = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`;
    const hostile: RunReport = { ...sampleReport, dataset: payload, error: payload, anomalies: [payload] };
    const dom = await renderedDom(renderHtml(hostile));
    expect(dom).not.toContain('pwned</title>');
    expect(dom).not.toMatch(/<img src="x"/);
    expect(dom).not.toMatch(/<script>document/);
    expect(dom).toContain('&lt;script&gt;document.title=');
  });
});
