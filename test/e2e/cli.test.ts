import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/runReport.js';
import { spawnCli, spawnShellCommand, waitFor } from './support/cliProcess.js';
import { getObjectBytes, listKeys, readDelivered } from './support/deliveredObject.js';
import { customerRequests, INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';
import { eltDifferences, oracleById } from './support/oracle.js';

let env: E2eEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Flags of `ingest run` against this environment; secrets go in the environment (`cliEnv`). */
function runArgs(e: E2eEnv, runId: string, extra: readonly string[] = []): string[] {
  return [
    'run',
    '--api-url',
    e.sim.url,
    '--username',
    'demo',
    '--bucket',
    'lake',
    '--s3-endpoint',
    e.s3.endpoint,
    '--s3-force-path-style',
    '--checksum',
    'SHA256',
    '--data-dir',
    e.dataDir,
    '--log-dir',
    join(e.dataDir, 'logs'),
    '--ingest-date',
    INGEST_DATE,
    '--run-id',
    runId,
    '--no-progress',
    '--log-level',
    'warn',
    ...extra,
  ];
}

const cliEnv = (e: E2eEnv): Record<string, string> => ({
  INGEST_PASSWORD: 'demo-password',
  AWS_ACCESS_KEY_ID: e.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: e.s3.credentials.secretAccessKey,
});

async function localReport(e: E2eEnv, runId: string): Promise<RunReport> {
  return JSON.parse(await readFile(join(e.dataDir, 'reports', 'customers', `${runId}.report.json`), 'utf8')) as RunReport;
}

describe('ingest run as a real process', () => {
  it('happy path: flags + INGEST_PASSWORD, exit 0, the summary on stdout, the object exact; reliability row 27: the password in no artifact', async () => {
    const canary = 'e2e-canary-password-5b1f';
    const sim = { profile: 'calm', records: 800, seed: 4, duplicateRate: 0.02, password: canary } as const;
    env = await startE2eEnv(sim);
    const cli = spawnCli(runArgs(env, 'cli-ok', ['--format', 'parquet', '--page-size', '200']), {
      ...cliEnv(env),
      INGEST_PASSWORD: canary,
    });
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stdout()).toMatch(/SUCCEEDED/);
    expect(cli.stdout()).toMatch(/800 unique/);
    expect(cli.stdout()).toContain('s3://lake/customers/');
    const key = `customers/ingest_date=${INGEST_DATE}/customers_cli-ok.parquet`;
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([key]);
    const object = await readDelivered(env.client, 'lake', key, 'parquet');
    expect(eltDifferences(object.rows, 'parquet', oracleById(sim), 'cli-ok')).toEqual([]);

    // No artifact holds the password: output, logs, staging database, reports, the stored objects.
    expect(`${cli.stdout()}${cli.stderr()}`).not.toContain(canary);
    const files = (await readdir(env.dataDir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect((await readFile(join(file.parentPath, file.name))).includes(canary), file.name).toBe(false);
    for (const stored of await listKeys(env.client, 'lake'))
      expect((await getObjectBytes(env.client, 'lake', stored)).includes(canary), stored).toBe(false);
  });

  it('reliability row 26: bad configuration -> exit 2, every problem listed on stderr, nothing fetched', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 100, seed: 1 });
    const configFile = join(env.dataDir, 'run.json');
    await writeFile(configFile, JSON.stringify({ unknownThing: 1, maxRetryShare: 3 }));
    const cli = spawnCli(
      [
        'run',
        '--api-url',
        env.sim.url,
        '--username',
        'demo',
        '--format',
        'xml',
        '--page-size',
        '-5',
        '--bucket',
        'Bad_Bucket',
        '--s3-endpoint',
        'ftp://x',
        '--config',
        configFile,
      ],
      cliEnv(env),
    );
    expect(await cli.exited).toBe(2);
    const stderr = cli.stderr();
    for (const problem of [/format/, /pageSize/, /bucket/, /s3Endpoint/, /unknown option: unknownThing/, /maxRetryShare/])
      expect(stderr).toMatch(problem);
    expect(env.sim.stats().requests).toBe(0);
  });

  it('reliability row 27: a secret passed as a flag is refused (exit 2) without echoing it', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 100, seed: 1 });
    // `--name=value` too: commander would echo it in "unknown option '--password=...'".
    const cli = spawnCli([...runArgs(env, 'secret-flag'), '--password=canary-pw-1', '--token', 'canary-tk-2'], cliEnv(env));
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toMatch(/password: pass it in INGEST_PASSWORD/);
    expect(cli.stderr()).toMatch(/token: pass it in INGEST_TOKEN/);
    expect(`${cli.stdout()}${cli.stderr()}`).not.toMatch(/canary-/);
    expect(env.sim.stats().requests).toBe(0);
  });

  it('reliability row 27: a mistyped secret flag (`--pasword=x`) is refused (exit 2) naming the flag, not the value', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 100, seed: 1 });
    const cli = spawnCli([...runArgs(env, 'typo-flag'), '--pasword=canary-pw-3'], cliEnv(env));
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain("unknown option '--pasword=…'");
    expect(`${cli.stdout()}${cli.stderr()}`).not.toMatch(/canary-/);
    expect(env.sim.stats().requests).toBe(0);
  });

  it.each([
    { signal: 'SIGINT', code: 130 },
    { signal: 'SIGTERM', code: 143 },
  ] as const)(
    'reliability row 25: $signal during the fetch -> exit $code, CANCELLED (summary and report), its line once, checkpoint kept, the rerun succeeds',
    async ({ signal, code }) => {
      const sim = { profile: 'calm', records: 2000, seed: 8, latency: { kind: 'fixed', ms: 200 } } as const;
      env = await startE2eEnv(sim);
      const runId = `stop-${signal}`;
      const args = runArgs(env, runId, ['--format', 'ndjson', '--page-size', '100']);
      const cli = spawnCli(args, cliEnv(env));
      await waitFor(() => env!.sim.stats().pagesServed >= 3, 'three pages served');
      cli.child.kill(signal);
      expect(await cli.exited, cli.stderr()).toBe(code);
      const report = await localReport(env, runId);
      expect(report.status).toBe('cancelled');
      expect(report.error).toMatch(new RegExp(`${signal}|cancel|stop`, 'i'));
      expect(cli.stdout()).toMatch(/^CANCELLED /m);
      expect(cli.stdout()).not.toMatch(/FAILED/);
      expect(cli.stderr().match(new RegExp(`${signal}: stopping`, 'g')), cli.stderr()).toHaveLength(1);
      expect(report.pages.staged).toBeGreaterThan(0);
      expect(report.pages.staged).toBeLessThan(20);
      expect(existsSync(join(env.dataDir, 'staging', 'customers', `${runId}.duckdb`))).toBe(true);
      expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([]);

      const before = customerRequests(env.sim);
      const rerun = spawnCli(args, cliEnv(env));
      expect(await rerun.exited, rerun.stderr()).toBe(0);
      const resumed = await localReport(env, runId);
      expect(resumed).toMatchObject({ status: 'succeeded', resumed: true, pages: { skippedOnResume: report.pages.staged } });
      // The pages' records, as the records received, span both attempts.
      expect(resumed.pages.records).toBe(resumed.records.received);
      expect(resumed.records.received).toBeGreaterThan(report.records.received);
      expect(customerRequests(env.sim) - before).toBe(20 - report.pages.staged);
      const object = await readDelivered(env.client, 'lake', `customers/ingest_date=${INGEST_DATE}/customers_${runId}.ndjson`, 'ndjson');
      expect(eltDifferences(object.rows, 'ndjson', oracleById(sim), runId)).toEqual([]);
    },
  );
});

describe('ingest demo as a real process', () => {
  it('npm start -- --records 2000 (the built CLI): exit 0, the summary and `ingest query` lines that run, the object in <data-dir>/s3', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'e2e-demo-'));
    try {
      await writeFile(join(dataDir, 'keep.txt'), 'not the demo’s');
      // As the README's quick start runs it: `npm test` builds dist/ first, so it is these sources.
      const cli = spawnShellCommand(`npm start -- --records 2000 --seed 3 --data-dir '${dataDir}' --no-progress`);
      expect(await cli.exited, cli.stderr()).toBe(0);
      const stdout = cli.stdout();
      expect(stdout).toMatch(/SUCCEEDED/);
      expect(stdout).toMatch(/2,000 unique/);
      expect(stdout).not.toContain('duckdb -c');
      // Every printed query runs as printed, with what `npm install ingest` brings: no DuckDB CLI needed.
      const queries = [...stdout.matchAll(/^ {2}(ingest query .+)$/gm)].map((m) => m[1]!);
      expect(queries).toHaveLength(2);
      // The report's "Query it" offers the same commands for the local file.
      const md = await readFile(join(dataDir, 'reports', 'customers', 'demo.report.md'), 'utf8');
      expect(md).not.toContain('duckdb -c');
      expect([...md.matchAll(/^(ingest query (?!s3:).+)$/gm)].map((m) => m[1])).toEqual(queries);
      const [count, describe] = await Promise.all(
        queries
          .map((command) => spawnShellCommand(command))
          .map(async (q) => {
            expect(await q.exited, q.stderr()).toBe(0);
            return q.stdout();
          }),
      );
      expect(count).toMatch(/^rows\n2000\n\nid +/);
      expect(count!.split('\n').length).toBe(2 + 1 + 1 + 5 + 1);
      expect(describe).toMatch(/^column_name +column_type/);
      expect(describe).toMatch(/^email +VARCHAR/m);
      const uri = /delivery\s+uploaded (s3:\/\/demo-lake\/(\S+))/.exec(stdout);
      expect(uri).not.toBeNull();
      const stored = join(dataDir, 's3', 'demo-lake', `${uri![2]!}._S3rver_object`);
      const local = /output\s+(\S+\.parquet)/.exec(stdout)?.[1];
      expect(local).toBeDefined();
      expect(await readFile(stored)).toEqual(await readFile(local!));
      // The demo clears only what it writes.
      expect(await readFile(join(dataDir, 'keep.txt'), 'utf8')).toBe('not the demo’s');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
