import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIngestion } from '../../src/ingestion/runIngestion.js';
import { renderHtml } from '../../src/report/renderHtml.js';
import type { RunReport } from '../../src/report/runReport.js';
import { startE2eEnv } from '../e2e/support/e2eEnv.js';
import { sampleReport } from './sampleReport.js';

const chromium = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
/** The screenshot is kept (data/ is git-ignored) for a person to look at. */
const SCREENSHOT = resolve('data/artifacts/report.png');

/** Chromium's own housekeeping (clock, component updates, sign-in), which no flag fully silences: not the page's. */
const BROWSER_HOSTS = new Set(['clients2.google.com', 'update.googleapis.com', 'accounts.google.com']);

// Every request the browser makes goes to this proxy, which notes it: a self-contained report makes none.
let proxy: Server;
const requested: string[] = [];
const note = (target: string): void => {
  const host = target.includes('://') ? new URL(target).hostname : target.replace(/:\d+$/, '');
  if (!BROWSER_HOSTS.has(host)) requested.push(target);
};
beforeAll(async () => {
  proxy = createServer((req, res) => {
    note(req.url ?? '');
    res.writeHead(502).end();
  });
  proxy.on('connect', (req, socket) => {
    note(req.url ?? '');
    socket.destroy();
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
});
afterAll(async () => {
  await new Promise((done) => proxy.close(done));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs headless Chromium on a page with the network sent to the counting proxy; returns its output. */
async function chrome(html: string, extra: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.html`);
  writeFileSync(file, html);
  return promisify(execFile)(
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
      '--hide-scrollbars',
      `--proxy-server=http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      '--proxy-bypass-list=<-loopback>',
      '--enable-logging=stderr',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--virtual-time-budget=2000',
      ...extra,
      `file://${file}`,
    ],
    { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
  );
}

/** The DOM a real headless Chromium builds from the page, after any script would have run. */
async function renderedDom(html: string): Promise<string> {
  return (await chrome(html, ['--dump-dom'])).stdout;
}

/**
 * The laid-out size of each SVG and the page's height, measured by a script in a copy of the
 * page (the report itself forbids scripts: its CSP is dropped from the copy only).
 */
async function layout(html: string): Promise<{ svgs: { id: string; width: number; height: number }[]; height: number }> {
  const probe = `<script>
    const svgs = [...document.querySelectorAll('svg')].map((s) => {
      const r = s.getBoundingClientRect();
      return { id: s.closest('figure')?.id ?? '', width: r.width, height: r.height };
    });
    document.body.setAttribute('data-layout', JSON.stringify({ svgs, height: document.documentElement.scrollHeight }));
  </script>`;
  const copy = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('</body>', `${probe}</body>`);
  const dom = (await chrome(copy, ['--window-size=900,1200', '--dump-dom'])).stdout;
  const attr = /data-layout="([^"]*)"/.exec(dom)?.[1] ?? '{}';
  return JSON.parse(attr.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Awaited<ReturnType<typeof layout>>;
}

/** A real run against a rate-limited server, after an earlier one: series, 429s and a comparison. */
async function realReport(): Promise<RunReport> {
  const env = await startE2eEnv({ profile: 'calm', records: 800, seed: 4, rateLimit: 5, rateLimitBurst: 5, dirtyRate: 0.05 });
  try {
    const options = { pageSize: 50, rateLimit: 20, transform: 'clean' } as const;
    await runIngestion(env.options({ ...options, runId: 'browser-1', ingestDate: '2026-01-02' }), env.context());
    return await runIngestion(env.options({ ...options, runId: 'browser-2', ingestDate: '2026-01-03' }), env.context());
  } finally {
    await env.close();
  }
}

const CHARTS = ['chart-throughput', 'chart-outcomes', 'chart-rate', 'chart-latency', 'chart-gantt'];

// .ci/run installs Debian's chromium; a developer machine without it skips these.
describe.skipIf(!existsSync(chromium))('the HTML report in a real browser', () => {
  it('shows a real run: every chart laid out, no console error, no request, a screenshot kept', async () => {
    const report = await realReport();
    expect(report.status).toBe('succeeded');
    expect(report.previous?.runId).toBe('browser-1');
    const html = renderHtml(report);

    // Nothing to fetch in the markup, and nothing fetched by the browser.
    expect(html).not.toMatch(/\s(?:src|href)=|url\(|@import/);
    const { stdout: dom, stderr } = await chrome(html, ['--dump-dom']);
    expect(requested).toEqual([]);
    expect(stderr).not.toMatch(/CONSOLE|Refused to|Content Security Policy/);
    for (const heading of ['Compared with the previous run', 'Over time', 'Time per state', 'Data quality']) expect(dom).toContain(heading);

    const { svgs, height } = await layout(html);
    expect(svgs.map((s) => s.id)).toEqual(CHARTS);
    for (const svg of svgs) {
      expect(svg.width, svg.id).toBeGreaterThan(300);
      expect(svg.height, svg.id).toBeGreaterThan(50);
    }

    mkdirSync(resolve('data/artifacts'), { recursive: true });
    writeFileSync(SCREENSHOT.replace(/\.png$/, '.html'), html);
    await chrome(html, [`--window-size=900,${Math.min(16_000, Math.ceil(height))}`, `--screenshot=${SCREENSHOT}`]);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    console.log(`screenshot of the report: ${SCREENSHOT}`);
  }, 120_000);

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
