import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';
import {
  createAppLogger,
  FILE_ONLY,
  loggerFor,
  SecretRegistry,
  silentLogger,
  type AppLogger,
  type AppLoggerOptions,
} from '../../src/logging/index.js';
import { emptyCounters } from '../../src/run/runCounters.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

interface Captured {
  readonly lines: string[];
  readonly text: () => string;
  readonly records: () => Record<string, unknown>[];
}

function capture(): Captured & { write: (s: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    write: (s: string) => void lines.push(s),
    text: () => lines.join(''),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const dirs: string[] = [];
const open: AppLogger[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'applogger-'));
  dirs.push(dir);
  return dir;
}

function make(options: AppLoggerOptions): AppLogger {
  const app = createAppLogger(options);
  open.push(app);
  return app;
}

/** Every line of every file in `dir`. */
function fileText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

function fileRecords(dir: string): Record<string, unknown>[] {
  return fileText(dir)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('AppLogger console levels', () => {
  it('shows DEBUG and up on the console by default, as JSON lines when not a TTY', async () => {
    const out = capture();
    const app = make({ destination: out, file: false });
    app.logger.trace('hidden');
    app.logger.debug('dbg');
    app.logger.info('inf');
    await app.flush();
    expect(out.records().map((r) => r['msg'])).toEqual(['dbg', 'inf']);
    expect(out.records()[0]).toMatchObject({ level: 20 });
  });

  it('respects the level option', async () => {
    const out = capture();
    const app = make({ destination: out, level: 'warn', file: false });
    app.logger.debug('d');
    app.logger.info('i');
    app.logger.warn('w');
    app.logger.error('e');
    await app.flush();
    expect(out.records().map((r) => r['msg'])).toEqual(['w', 'e']);
  });

  it('rejects an unknown level, naming the option', () => {
    expect(() => createAppLogger({ level: 'loud' as 'info', file: false })).toThrow(/level: unknown level "loud"/);
  });

  it('takes timestamps from the injected clock', async () => {
    const out = capture();
    const clock = new SimulatedClock(1_000);
    const app = make({ destination: out, file: false, clock });
    app.logger.info('a');
    await clock.advance(500);
    app.logger.info('b');
    expect(out.records().map((r) => r['time'])).toEqual([1_000, 1_500]);
  });

  it('pretty-prints when asked, still redacted', async () => {
    const out = capture();
    const secrets = new SecretRegistry();
    secrets.register('pretty-canary-7731');
    const app = make({ destination: out, pretty: true, file: false, secrets });
    app.for('cli').info({ password: 'pw-canary-9' }, 'hello pretty-canary-7731');
    await app.flush();
    const text = out.text();
    expect(text).toContain('INFO');
    expect(text).toContain('hello [REDACTED]');
    expect(text).not.toContain('pretty-canary-7731');
    expect(text).not.toContain('pw-canary-9');
    expect(() => JSON.parse(out.lines[0] ?? '')).toThrow();
  });
});

/** The records of one file, in order. */
function recordsOf(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('AppLogger error file', () => {
  it('writes ERROR and up to logs/app.log as JSON lines, lower levels only to the console', async () => {
    const out = capture();
    const dir = tempDir();
    const app = make({ destination: out, file: { dir } });
    const log = app.for('ingestion');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    await app.close();
    expect(out.records().map((r) => r['msg'])).toEqual(['d', 'i', 'w', 'e', 'f']);
    expect(readdirSync(dir)).toEqual(['app.log']);
    expect(recordsOf(join(dir, 'app.log')).map((r) => [r['level'], r['msg'], r['module']])).toEqual([
      [50, 'e', 'ingestion'],
      [60, 'f', 'ingestion'],
    ]);
  });

  it('writes to the configured directory and file name, creating the directory', async () => {
    const dir = join(tempDir(), 'nested', 'logs');
    const app = make({ destination: capture(), file: { dir, fileName: 'errors.jsonl' } });
    app.logger.error('e');
    await app.close();
    expect(readdirSync(dir)).toEqual(['errors.jsonl']);
    expect(recordsOf(join(dir, 'errors.jsonl')).map((r) => r['msg'])).toEqual(['e']);
  });

  it('has every line logged so far in the file after flush(), before close()', async () => {
    const dir = tempDir();
    const app = make({ destination: capture(), file: { dir } });
    for (let i = 0; i < 50; i++) app.logger.error({ i }, 'line');
    await app.flush();
    expect(recordsOf(join(dir, 'app.log')).map((r) => r['i'])).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rotates by size: app.log stays active, app.log.1 is the newest copy, at most keep + 1 files, newest lines kept in order', async () => {
    const dir = tempDir();
    const secrets = new SecretRegistry();
    secrets.register('rotation-canary-5150');
    const app = make({ destination: capture(), secrets, file: { dir, size: '1k', frequency: false, keep: 2 } });
    const padding = 'x'.repeat(300);
    const total = 40;
    for (let n = 0; n < total; n++) app.logger.error({ n, padding, token: 'rotation-canary-5150' }, 'line rotation-canary-5150');
    await app.close();

    expect(readdirSync(dir).sort()).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    // Oldest to newest: .2, .1, then the active file.
    const files = ['app.log.2', 'app.log.1', 'app.log'].map((f) => join(dir, f));
    const numbers = files.flatMap((f) => recordsOf(f).map((r) => r['n']));
    // The kept lines are exactly the newest ones, once each, in order: nothing lost inside the window.
    const first = total - numbers.length;
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => first + i));
    expect(numbers.length).toBeGreaterThanOrEqual(6);
    for (const rotated of files.slice(0, 2)) {
      // Rotated once it reached 1 KiB; it can exceed that by one line, never split a line.
      const size = statSync(rotated).size;
      expect(size).toBeGreaterThanOrEqual(1024);
      expect(size).toBeLessThan(1024 + 420);
    }
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain('rotation-canary-5150');
  });

  it('with keep 0 keeps only the active file', async () => {
    const dir = tempDir();
    const app = make({ destination: capture(), file: { dir, size: '1k', frequency: false, keep: 0 } });
    for (let n = 0; n < 20; n++) app.logger.error({ n, padding: 'x'.repeat(300) }, 'line');
    await app.close();
    expect(readdirSync(dir)).toEqual(['app.log']);
    expect(recordsOf(join(dir, 'app.log')).at(-1)?.['n']).toBe(19);
  });

  it('appends to an existing app.log across runs, and rotates one already over the size at start', async () => {
    const dir = tempDir();
    const first = make({ destination: capture(), file: { dir, size: '1k' } });
    first.logger.error('run 1');
    await first.close();
    const second = make({ destination: capture(), file: { dir, size: '1k' } });
    second.logger.error('run 2');
    await second.close();
    expect(recordsOf(join(dir, 'app.log')).map((r) => r['msg'])).toEqual(['run 1', 'run 2']);

    writeFileSync(join(dir, 'app.log'), `${JSON.stringify({ msg: 'big' })}\n`.repeat(100));
    const third = make({ destination: capture(), file: { dir, size: '1k' } });
    third.logger.error('run 3');
    await third.close();
    expect(recordsOf(join(dir, 'app.log')).map((r) => r['msg'])).toEqual(['run 3']);
    expect(recordsOf(join(dir, 'app.log.1'))).toHaveLength(100);
  });

  it('accepts size as a number or with any unit case, and lists every invalid rotation option', () => {
    for (const size of [2048, '2048', '2048b', '2k', '2K', '2kb', '10m', '10M', '10MB', '1g']) {
      expect(() => make({ destination: capture(), file: { dir: tempDir(), size } }), String(size)).not.toThrow();
    }
    expect(() =>
      createAppLogger({ destination: capture(), file: { dir: tempDir(), size: 'ten', frequency: 7 * 60_000, keep: -1 } }),
    ).toThrow(/file\.size: .*"ten".*file\.frequency: 420000 ms .*file\.keep: must be an integer/);
  });

  it('is closable twice and drops, not throws, lines logged after close', async () => {
    const dir = tempDir();
    const out = capture();
    const app = make({ destination: out, file: { dir } });
    app.logger.error('before');
    await app.close();
    await app.close();
    expect(() => app.logger.error('after')).not.toThrow();
    await app.flush();
    expect(fileRecords(dir).map((r) => r['msg'])).toEqual(['before']);
    expect(out.records().map((r) => r['msg'])).toEqual(['before', 'after']);
  });
});

describe('a failing error file never fails the run', () => {
  it('reports a directory that cannot be created once on the console and keeps logging there', async () => {
    const parent = tempDir();
    const notADir = join(parent, 'plain-file');
    writeFileSync(notADir, 'x');
    const out = capture();
    const app = make({ destination: out, file: { dir: notADir } });
    app.for('ingestion').error('first');
    await app.flush();
    app.for('ingestion').error('second');
    await expect(app.close()).resolves.toBeUndefined();
    const records = out.records();
    expect(records.filter((r) => r['module'] === 'ingestion').map((r) => r['msg'])).toEqual(['first', 'second']);
    const failures = records.filter((r) => String(r['msg']).startsWith('cannot write the error log'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, module: 'logging', path: join(notADir, 'app.log') });
    expect(readFileSync(notADir, 'utf8')).toBe('x');
  });

  it('reports a rotation that fails mid-run once, keeps the lines written before, and closes', async () => {
    const dir = tempDir();
    // A non-empty directory where the rotated copy must go: rename(app.log, app.log.1) fails.
    mkdirSync(join(dir, 'app.log.1', 'blocker'), { recursive: true });
    const out = capture();
    const app = make({ destination: out, file: { dir, size: '1k', frequency: false, keep: 1 } });
    for (let n = 0; n < 8; n++) {
      app.logger.error({ n, padding: 'x'.repeat(300) }, 'line');
      await app.flush();
    }
    await expect(app.close()).resolves.toBeUndefined();
    const records = out.records();
    expect(records.filter((r) => r['msg'] === 'line').map((r) => r['n'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(records.filter((r) => String(r['msg']).startsWith('cannot write the error log'))).toHaveLength(1);
    expect(recordsOf(join(dir, 'app.log')).map((r) => r['n'])).toEqual([0, 1, 2]);
  });
});

describe('namespaced loggers', () => {
  it('returns the same child for the same namespace and writes one line per call', async () => {
    const out = capture();
    const dir = tempDir();
    const app = make({ destination: out, file: { dir } });
    const a = app.for('ingestion');
    const b = app.for('ingestion');
    const c = loggerFor(app.logger, 'ingestion');
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(app.for('auth')).not.toBe(a);
    a.error('once');
    b.info('twice');
    await app.close();
    expect(out.records().map((r) => [r['module'], r['msg']])).toEqual([
      ['ingestion', 'once'],
      ['ingestion', 'twice'],
    ]);
    expect(fileRecords(dir).map((r) => r['msg'])).toEqual(['once']);
  });

  it('adds no handler per call: N lines through many namespaces and repeated for() give N file lines, and two loggers stay apart', async () => {
    const outA = capture();
    const outB = capture();
    const dirA = tempDir();
    const dirB = tempDir();
    const a = make({ destination: outA, file: { dir: dirA } });
    const b = make({ destination: outB, file: { dir: dirB } });
    const names = ['auth', 'paging', 'staging', 'output', 'storage'];
    for (let n = 0; n < 100; n++) a.for(names[n % names.length]!).error({ n }, 'a');
    b.for('auth').error('b');
    await Promise.all([a.close(), b.close()]);
    expect(fileRecords(dirA).map((r) => r['n'])).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(outA.lines).toHaveLength(100);
    expect(fileRecords(dirB).map((r) => r['msg'])).toEqual(['b']);
    expect(outB.lines).toHaveLength(1);
  });

  it("names a module's module once: the new name replaces the old", async () => {
    const out = capture();
    const app = make({ destination: out, file: false });
    const auth = loggerFor(app.for('ingestion'), 'auth');
    expect(loggerFor(app.for('demo'), 'auth')).toBe(auth);
    auth.info('logged in');
    await app.close();
    const line = out.lines.at(-1) ?? '';
    expect(line.match(/"module"/g)).toHaveLength(1);
    expect(JSON.parse(line)['module']).toBe('auth');
  });

  it('refuses an empty namespace', () => {
    expect(() => loggerFor(silentLogger(), ' ')).toThrow(/namespace/);
  });

  it('silentLogger writes nothing', () => {
    const log = silentLogger();
    expect(log.level).toBe('silent');
    expect(log.isLevelEnabled('fatal')).toBe(false);
  });
});

describe('redaction', () => {
  const password = 'canary-pass-Q7v!';
  const token = 'canary-token-eyJhbGciOi.x.y';
  const bearer = 'Bearer canary-bearer-55aa';
  const awsSecret = 'canary/aws+SECRET/abcd1234';
  const awsKeyId = 'AKIACANARY0000000';
  const canaries = [password, token, bearer, 'canary-bearer-55aa', awsSecret, awsKeyId];

  function expectClean(text: string): void {
    for (const c of canaries) expect(text, `leaked ${c}`).not.toContain(c);
    expect(text).not.toContain(encodeURIComponent(password));
    expect(text).not.toContain(encodeURIComponent(awsSecret));
  }

  it('reliability row 27: keeps canary secrets out of console and file: fields, nested fields, messages, errors, URLs', async () => {
    const out = capture();
    const dir = tempDir();
    const secrets = new SecretRegistry();
    for (const s of [password, token, 'canary-bearer-55aa', awsSecret]) secrets.register(s);
    const app = make({ destination: out, file: { dir }, secrets });
    const log = app.for('ingestion');

    // As fields, top level and nested (also deeper than the wildcard paths reach).
    log.error({ password, token, access_token: token, refresh_token: token, secret: awsSecret }, 'fields');
    log.error({ req: { headers: { authorization: bearer, Authorization: bearer } }, headers: { Authorization: bearer } }, 'headers');
    log.error({ aws: { accessKeyId: awsKeyId, secretAccessKey: awsSecret, sessionToken: token } }, 'aws');
    log.error({ env: { AWS_SECRET_ACCESS_KEY: awsSecret, AWS_ACCESS_KEY_ID: awsKeyId } }, 'env');
    log.error({ a: { b: { c: { d: { credentials: { username: 'u', password } } } } } }, 'deep');
    log.error({ config: { auth: { tokens: [token] } } }, 'array');
    // Inside free text: message, format arguments, field values, a URL (raw and encoded).
    log.error(`login with ${password} failed`);
    log.error('sent header %s', bearer);
    log.error({ note: `token was ${token}`, url: `https://api.test/x?sig=${encodeURIComponent(awsSecret)}` }, 'values');
    log.error({ target: new URL(`https://u:${encodeURIComponent(password)}@api.test/login`) }, 'url object');
    // Inside errors: message, stack, cause, custom fields; as first argument and as a field.
    const error = new Error(`POST failed for ${password}`, { cause: new Error(`cause has ${token}`) });
    log.error(error);
    log.error({ err: error }, 'with err field');
    log.error({ failure: Object.assign(new Error(`other key ${awsSecret}`), { header: bearer }) }, 'error under another key');
    // In child bindings.
    log.child({ session: token }).error('child binding');

    await app.close();
    const consoleText = out.text();
    const file = fileText(dir);
    expect(out.lines.length).toBe(14);
    expect(fileRecords(dir)).toHaveLength(14);
    expectClean(consoleText);
    expectClean(file);
    expect(consoleText).toContain('[REDACTED]');
    // The rest of the line is intact.
    expect(out.records().find((r) => r['msg'] === 'login with [REDACTED] failed')).toBeDefined();
    const errLine = out.records().find((r) => r['msg'] === 'POST failed for [REDACTED]');
    // pino's error serializer appends the causes' messages.
    expect(errLine?.['err']).toMatchObject({ type: 'Error', message: 'POST failed for [REDACTED]: cause has [REDACTED]' });
  });

  it('uses the process-wide registry by default', async () => {
    const { registerSecret } = await import('../../src/logging/index.js');
    const out = capture();
    const unregister = registerSecret('global-canary-4242');
    const app = make({ destination: out, file: false });
    app.logger.info('value global-canary-4242 here');
    unregister();
    app.logger.info('value global-canary-4242 there');
    expect(out.records().map((r) => r['msg'])).toEqual(['value [REDACTED] here', 'value global-canary-4242 there']);
  });
});

describe('AppLogger on a terminal', () => {
  it('shows no stack on the console below debug, keeps it in the file; at debug the console has it too', async () => {
    const dir = tempDir();
    const quiet = capture();
    const app = make({ destination: quiet, level: 'info', file: { dir } });
    app.logger.error({ err: new Error('login refused') }, 'login failed');
    await app.close();
    expect(quiet.records()[0]).toMatchObject({ msg: 'login failed', err: { message: 'login refused' } });
    expect(quiet.text()).not.toContain('"stack"');
    expect(fileText(dir)).toMatch(/"stack":"Error: login refused\\n {4}at /);

    const verbose = capture();
    const debugApp = make({ destination: verbose, level: 'debug', file: false });
    debugApp.logger.error({ err: new Error('login refused') }, 'login failed');
    await debugApp.close();
    expect(verbose.text()).toContain('"stack":"Error: login refused');
  });

  it('writes a FILE_ONLY line to the file, not the console', async () => {
    const dir = tempDir();
    const out = capture();
    const app = make({ destination: out, file: { dir } });
    app.logger.error({ [FILE_ONLY]: true }, 'for the file');
    app.logger.error('for both');
    await app.close();
    expect(out.records().map((r) => r['msg'])).toEqual(['for both']);
    expect(fileRecords(dir).map((r) => r['msg'])).toEqual(['for the file', 'for both']);
  });

  it('clears the live progress line before a log line and redraws it after: the two never share a line', async () => {
    const clock = new SimulatedClock(0);
    const terminal: string[] = [];
    const stream = { isTTY: true, write: (text: string) => void terminal.push(text) };
    const app = make({ destination: stream, level: 'info', pretty: true, file: false });
    const progress = createProgress({ stream, clock, logger: app.logger });
    app.setLiveLine(progress);
    progress.onState('fetching');
    progress.onCounters({ ...emptyCounters, pagesStaged: 14, pagesTotal: 14, recordsReceived: 14_000 });
    progress.onEvent({ type: 'stream.completed', pages: 14, records: 14_000 });
    await clock.advance(1000);
    app.logger.info('uploading');
    const screen = terminal.join('');
    // Replay the carriage returns and erases: every visible line is either the progress or the log line.
    const visible = screen
      .split('\n')
      .map((line) => line.split('\r').at(-1)!.replace('\x1b[K', ''))
      .filter((line) => line !== '');
    expect(visible.some((line) => /INFO.*uploading/.test(line) && !line.includes('all pages staged'))).toBe(true);
    expect(visible.every((line) => !(line.includes('all pages staged') && line.includes('uploading')))).toBe(true);
    // The progress line is back on screen after the log line.
    expect(visible.at(-1)).toContain('all pages staged');
    app.setLiveLine(undefined);
    progress.stop();
  });
});
