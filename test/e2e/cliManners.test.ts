import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, spawnShellCommand, waitFor } from './support/cliProcess.js';
import { getObjectText, listKeys } from './support/deliveredObject.js';
import { customerRequests, INGEST_DATE, startE2eEnv, type E2eEnv } from './support/e2eEnv.js';

let env: E2eEnv | undefined;
let held: Server | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  await new Promise((resolve) => (held ? held.close(resolve) : resolve(undefined)));
  held = undefined;
});

/** `ingest run` against this environment at the default log level (info), no progress display. */
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
    '--rate-limit',
    '200',
    ...extra,
  ];
}

const cliEnv = (e: E2eEnv, password = 'demo-password'): Record<string, string> => ({
  INGEST_PASSWORD: password,
  AWS_ACCESS_KEY_ID: e.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: e.s3.credentials.secretAccessKey,
});

/** Holds `port` (0: any) on every interface, as another program would; resolves to the port. */
function hold(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => {
      held = server;
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

const nonEmptyLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

describe('ingest run: what the terminal shows', () => {
  it('a wrong password: exit 1, exactly one sentence on stderr and no stack, no error on stdout', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 100, seed: 1 });
    const cli = spawnCli(runArgs(env, 'wrong-password'), cliEnv(env, 'not-the-password'));
    expect(await cli.exited, cli.stderr()).toBe(1);
    expect(nonEmptyLines(cli.stderr())).toEqual([
      `ingest: Login, bucket or partition check failed: login refused by POST ${env.sim.url}/login: HTTP 401; check the username and password`,
    ]);
    expect(cli.stderr()).not.toMatch(/^\s+at /m);
    expect(cli.stdout()).toMatch(/^FAILED /m);
    expect(cli.stdout()).not.toMatch(/login refused|error/i);
    expect(cli.stdout()).not.toContain('not-the-password');
  });

  it("one throughput figure: the last progress line's records/s is the summary's", async () => {
    env = await startE2eEnv({ profile: 'calm', records: 1500, seed: 5, latency: { kind: 'fixed', ms: 20 } });
    const args = runArgs(env, 'one-figure', ['--page-size', '100']).filter((arg) => arg !== '--no-progress');
    const cli = spawnCli(args, cliEnv(env));
    expect(await cli.exited, cli.stderr()).toBe(0);
    const progressLines = nonEmptyLines(cli.stderr()).filter((line) => line.includes('"component":"progress"'));
    const last = /, ([\d,.]+) records\/s,/.exec(progressLines.at(-1) ?? '')?.[1];
    const summary = /^speed +([\d,.]+) records\/s/m.exec(cli.stdout())?.[1];
    expect(last, cli.stderr()).toBeDefined();
    expect(last).toBe(summary);
    expect(progressLines.at(-1)).not.toContain('now');
  });

  it('SIGINT delivered twice at once (terminal + a forwarding parent): CANCELLED, exit 130, its line once', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 2000, seed: 8, latency: { kind: 'fixed', ms: 200 } });
    // With the progress display (log lines off a TTY): its last line says cancelled too.
    const args = runArgs(env, 'ctrl-c', ['--page-size', '100']).filter((arg) => arg !== '--no-progress');
    const cli = spawnCli(args, cliEnv(env));
    await waitFor(() => env!.sim.stats().pagesServed >= 2, 'two pages served');
    cli.child.kill('SIGINT');
    cli.child.kill('SIGINT');
    expect(await cli.exited, cli.stderr()).toBe(130);
    expect(cli.stdout()).toMatch(/^CANCELLED customers /m);
    expect(cli.stderr().match(/SIGINT: stopping/g)).toHaveLength(1);
    const progressLines = nonEmptyLines(cli.stderr()).filter((line) => line.includes('"component":"progress"'));
    expect(progressLines.at(-1)).toMatch(/"msg":"progress: cancelled, /);
    expect(nonEmptyLines(cli.stderr()).at(-1)).toBe(
      'ingest: The run was cancelled (SIGINT); the checkpoint is kept: run again with the same run id to resume.',
    );
  });
});

describe('ingest run --inspect: a window on the run, never a reason to fail it', () => {
  it('--inspect-port on a port in use: a warning, the run succeeds; --inspect alone does not take 8080', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 300, seed: 2 });
    const port = await hold(0);
    const busy = spawnCli(runArgs(env, 'inspect-busy', ['--inspect-port', String(port)]), cliEnv(env));
    expect(await busy.exited, busy.stderr()).toBe(0);
    expect(busy.stderr()).toContain(`the Stately inspector did not start (port ${port} is in use); the run goes on without it`);
    expect(busy.stdout()).toMatch(/^SUCCEEDED /m);

    await new Promise((resolve) => held!.close(resolve));
    held = undefined;
    // 8080 is `ingest serve`'s default: held here (unless something else already has it).
    await hold(8080).catch(() => undefined);
    const free = spawnCli(runArgs(env, 'inspect-free', ['--inspect', '--format', 'ndjson', '--prefix', 'second']), cliEnv(env));
    expect(await free.exited, free.stderr()).toBe(0);
    const url = /Stately inspector: http:\/\/localhost:(\d+)/.exec(free.stderr());
    expect(url, free.stderr()).not.toBeNull();
    expect(url![1]).not.toBe('8080');
    expect(free.stdout()).toMatch(/^SUCCEEDED /m);
  });
});

describe('ingest run again with the same run id', () => {
  it('with another --format and --page-size: refused, naming each option and how to start a new run; with the same options: says it was delivered', async () => {
    env = await startE2eEnv({ profile: 'calm', records: 300, seed: 3 });
    const first = spawnCli(runArgs(env, 'same-day', ['--format', 'ndjson']), cliEnv(env));
    expect(await first.exited, first.stderr()).toBe(0);
    const uri = `s3://lake/customers/ingest_date=${INGEST_DATE}/customers_same-day.ndjson`;
    const requests = customerRequests(env.sim);

    const other = spawnCli(runArgs(env, 'same-day', ['--format', 'csv', '--page-size', '50']), cliEnv(env));
    expect(await other.exited).toBe(1);
    expect(nonEmptyLines(other.stderr())).toEqual([
      'ingest: run same-day was started with other options (--format ndjson then, csv now; --page-size 1000 then, 50 now): resume it with the same options, or start a new run with --run-id <new id>',
    ]);

    const reportKey = `_reports/customers/ingest_date=${INGEST_DATE}/same-day.report.json`;
    const delivering = await getObjectText(env.client, 'lake', reportKey);
    const localReport = join(env.dataDir, 'reports', 'customers', 'same-day.report.json');
    expect(await readFile(localReport, 'utf8')).toBe(delivering);
    const same = spawnCli(runArgs(env, 'same-day', ['--format', 'ndjson']), cliEnv(env));
    expect(await same.exited, same.stderr()).toBe(0);
    expect(same.stdout()).toContain(
      `Run same-day was already delivered to ${uri} by an earlier attempt: nothing was fetched, and its report is still that attempt's ` +
        `(s3://lake/${reportKey}). To ingest again, start a new run: --run-id <new id>.`,
    );
    // The run's record stays the delivering attempt's, in the store and on disk: not a report of a run that fetched nothing.
    expect(await getObjectText(env.client, 'lake', reportKey)).toBe(delivering);
    expect(await readFile(localReport, 'utf8')).toBe(delivering);
    expect((JSON.parse(delivering) as { requests: { total: number } }).requests.total).toBeGreaterThan(0);
    expect(customerRequests(env.sim)).toBe(requests);
    expect(await listKeys(env.client, 'lake', 'customers/')).toEqual([uri.replace('s3://lake/', '')]);

    // `ingest query` reads the delivered object itself (s3://), with SQL of the user's.
    const query = spawnCli(
      [
        'query',
        uri,
        'SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM data',
        '--s3-endpoint',
        env.s3.endpoint,
        '--s3-force-path-style',
      ],
      cliEnv(env),
    );
    expect(await query.exited, query.stderr()).toBe(0);
    expect(query.stdout()).toBe('rows  ids\n300   300\n');

    // The report's own command for the object runs as printed, with the flags its note names for an S3-compatible server.
    const md = await readFile(localReport.replace(/\.json$/, '.md'), 'utf8');
    const printed = /^ingest query s3:\/\/.+$/m.exec(md)?.[0];
    expect(printed).toBe(`ingest query ${uri} "SELECT count(*) AS rows FROM data"`);
    const asPrinted = spawnShellCommand(`${printed!} --s3-endpoint ${env.s3.endpoint} --s3-force-path-style`, cliEnv(env));
    expect(await asPrinted.exited, asPrinted.stderr()).toBe(0);
    expect(asPrinted.stdout()).toBe('rows\n300\n');
  });
});
