import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppLogger, loggerFor, SecretRegistry, silentLogger, type AppLogger, type AppLoggerOptions } from '../../src/logging/index.js';
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

describe('AppLogger error file', () => {
  it('writes ERROR and up to the file as JSON lines, lower levels only to the console', async () => {
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
    const records = fileRecords(dir);
    expect(records.map((r) => [r['level'], r['msg'], r['module']])).toEqual([
      [50, 'e', 'ingestion'],
      [60, 'f', 'ingestion'],
    ]);
    expect(readdirSync(dir).every((f) => /^app\.\d+\.log$/.test(f))).toBe(true);
  });

  it('rotates by size and keeps at most `keep` rotated files besides the active one', async () => {
    const dir = tempDir();
    const app = make({ destination: capture(), file: { dir, size: '1k', frequency: false, keep: 2 } });
    const padding = 'x'.repeat(300);
    // Several flushes: pino-roll measures size per write it receives from the worker's buffer.
    // Each batch (3 × ~380 bytes) exceeds the 1 KiB limit on its own.
    for (let batch = 0; batch < 12; batch++) {
      for (let i = 0; i < 3; i++) app.logger.error({ batch, i, padding }, 'line');
      await app.flush();
    }
    await app.close();
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files.length).toBeLessThanOrEqual(3);
    const numbers = files.map((f) => Number(/^app\.(\d+)\.log$/.exec(f)?.[1]));
    // Numbering went well past the kept window: rotation happened many times.
    expect(Math.max(...numbers)).toBeGreaterThanOrEqual(4);
    // The newest lines survive rotation.
    expect(fileRecords(dir).some((r) => r['batch'] === 11 && r['i'] === 2)).toBe(true);
  });

  it('is closable twice and drops, not throws, lines logged after close', async () => {
    const dir = tempDir();
    const out = capture();
    const app = make({ destination: out, file: { dir } });
    app.logger.error('before');
    await app.close();
    await app.close();
    expect(() => app.logger.error('after')).not.toThrow();
    expect(fileRecords(dir).map((r) => r['msg'])).toEqual(['before']);
    expect(out.records().map((r) => r['msg'])).toEqual(['before', 'after']);
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

  it('keeps canary secrets out of console and file: fields, nested fields, messages, errors, URLs', async () => {
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
