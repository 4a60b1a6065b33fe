import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestError } from '../../src/errors.js';
import { renderHtml } from '../../src/report/renderHtml.js';
import { renderMarkdown } from '../../src/report/renderMarkdown.js';
import type { RunReport } from '../../src/report/runReport.js';
import { stableJson } from '../../src/report/stableJson.js';
import { writeReportFiles } from '../../src/report/writeReportFiles.js';
import { failedReport, sampleReport } from './sampleReport.js';

/** The same report with every object's keys inserted in reverse order. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => reversedKeys(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    ) as T;
  }
  return value;
}

describe('writeReportFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ingest-report-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes JSON, Markdown and HTML under a directory it creates', async () => {
    const dir = join(root, 'data', 'reports');
    const files = await writeReportFiles(sampleReport, dir);
    const base = join(dir, `${sampleReport.runId}.report`);
    expect(files).toEqual({ json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` });
    expect((await readdir(dir)).sort()).toEqual([
      `${sampleReport.runId}.report.html`,
      `${sampleReport.runId}.report.json`,
      `${sampleReport.runId}.report.md`,
    ]);
    expect(await readFile(files.markdown, 'utf8')).toBe(renderMarkdown(sampleReport));
    expect(await readFile(files.html, 'utf8')).toBe(renderHtml(sampleReport));
  });

  it('writes JSON that round-trips to the same report, in a stable key order', async () => {
    for (const report of [sampleReport, failedReport]) {
      const files = await writeReportFiles(report, root);
      const text = await readFile(files.json, 'utf8');
      expect(JSON.parse(text)).toEqual(report);
      expect(text).toBe(stableJson(reversedKeys(report)));
      expect(text.startsWith('{\n  "status": ')).toBe(true);
    }
    const text = await readFile(join(root, `${failedReport.runId}.report.json`), 'utf8');
    expect(Object.keys(JSON.parse(text) as object).slice(0, 3)).toEqual(['status', 'error', 'runId']);
  });

  it('replaces an earlier report of the same run and leaves no temp file', async () => {
    const files = await writeReportFiles(failedReport, root);
    await writeReportFiles(sampleReport, root);
    expect(JSON.parse(await readFile(files.json, 'utf8'))).toEqual(sampleReport);
    expect((await readdir(root)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses a run id that would escape the report directory, writing nothing', async () => {
    for (const runId of ['../evil', 'a/b', 'a\\b', '..', '', 'x\ny']) {
      const report: RunReport = { ...sampleReport, runId };
      await expect(writeReportFiles(report, join(root, 'inner'))).rejects.toBeInstanceOf(IngestError);
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('fails with an IngestError naming the file when the directory cannot be written', async () => {
    const blocker = join(root, 'not-a-dir');
    await writeFile(blocker, 'x');
    const failure = writeReportFiles(sampleReport, join(blocker, 'reports'));
    await expect(failure).rejects.toBeInstanceOf(IngestError);
    await expect(failure).rejects.toThrow(/cannot create the report directory .*not-a-dir/);
  });
});

describe('stableJson', () => {
  it('sorts nested keys and drops undefined fields', () => {
    expect(stableJson({ b: 1, a: { d: undefined, c: [{ z: 1, y: 2 }] } })).toBe(
      '{\n  "a": {\n    "c": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });
});
