import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import * as main from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readJson = (file: string): unknown => JSON.parse(readFileSync(`${root}${file}`, 'utf8'));

/**
 * The runtime exports of each entry point, as promised. A change to the public surface is a
 * change to this table, made on purpose (types are checked by tsc, not here).
 */
const surface: Readonly<Record<string, readonly string[]>> = {
  '.': [
    // running an ingestion
    'runIngestion',
    'runSource',
    'loadRunConfig',
    'resolveRunConfig',
    'resolveRunOptions',
    'runConfigSchema',
    'runOptionHelp',
    'runOptionDefaults',
    // errors and their guards
    'IngestError',
    'isIngestError',
    'ConfigError',
    'isConfigError',
    'HttpStatusError',
    'isHttpStatusError',
    'ResponseTooLargeError',
    'isResponseTooLargeError',
    'RateLimitError',
    'isRateLimitError',
    'AuthError',
    'isAuthError',
    'TimeoutError',
    'isTimeoutError',
    'UploadError',
    'isUploadError',
    'PagingError',
    'isPagingError',
    'RetryLimitError',
    'isRetryLimitError',
    'OutputError',
    'isOutputError',
    'StagingError',
    'isStagingError',
    'RunLockedError',
    'isRunLockedError',
    // runtime injection, logging, auth
    'createRuntime',
    'realClock',
    'SimulatedClock',
    'seededRandom',
    'createAppLogger',
    'loggerFor',
    'registerSecret',
    'AuthClient',
    'NoAuth',
    'StaticBearerAuth',
  ],
  './paging': ['pageStream', 'clockScheduler'],
  './machine': ['ingestionRun'],
  './devtools': ['machineToMermaid', 'startStatelyInspector'],
  './staging': ['StagingStore'],
  './output': ['writeFinalFile', 'stagingReport'],
  './storage': ['createS3Client', 'checkBucketAccess', 'deliverFile', 'renderKey'],
  './report': ['renderMarkdown', 'renderHtml', 'renderSummary', 'writeReportFiles'],
  './simulator': ['startSimulator', 'createSimulatorFetch', 'expectedCustomers', 'expectedOrders', 'simulatorProfiles'],
  './local-s3': ['startLocalS3', 'LOCAL_S3_CREDENTIALS'],
};

interface Conditions {
  readonly types: string;
  readonly import: string;
}
const pkg = readJson('package.json') as { exports: Record<string, Conditions> };
const tsconfig = readJson('tsconfig.json') as { compilerOptions: { rootDir: string; outDir: string } };
const buildConfig = readJson('tsconfig.build.json') as { include: string[] };

/** `./dist/src/entries/paging.js` -> `src/entries/paging.ts`, by the build's rootDir and outDir. */
function sourceOf(emitted: string): string {
  const { rootDir, outDir } = tsconfig.compilerOptions;
  const prefix = `./${outDir}/`;
  expect(emitted.startsWith(prefix), `${emitted} is not under ${outDir}/`).toBe(true);
  expect(rootDir).toBe('.');
  return emitted.slice(prefix.length).replace(/\.js$/, '.ts');
}

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe('the public surface', () => {
  it('the main entry exports exactly the promised list', () => {
    expect(sorted(Object.keys(main))).toEqual(sorted(surface['.']!));
  });

  it('package.json exports exactly the entries of the table', () => {
    expect(sorted(Object.keys(pkg.exports))).toEqual(sorted(Object.keys(surface)));
  });

  describe.each(Object.entries(pkg.exports))('the entry %s', (subpath, conditions) => {
    it('points at a built source file, with its declarations beside it', () => {
      expect(Object.keys(conditions)).toEqual(['types', 'import']);
      expect(conditions.types).toBe(conditions.import.replace(/\.js$/, '.d.ts'));
      const source = sourceOf(conditions.import);
      expect(existsSync(`${root}${source}`), `${source} exists`).toBe(true);
      // `tsc -p tsconfig.build.json` emits it: its top folder is in the build.
      expect(buildConfig.include).toContain(source.split('/')[0]);
    });

    it('exports what it promises', async () => {
      const module = (await import(`${root}${sourceOf(conditions.import)}`)) as Record<string, unknown>;
      expect(sorted(Object.keys(module))).toEqual(sorted(surface[subpath] ?? []));
      for (const name of Object.keys(module)) expect(module[name], name).toBeDefined();
    });
  });
});

/** One instance of each exported error class. */
function samples(m: typeof main): Record<string, Error> {
  return {
    IngestError: new m.IngestError('failed'),
    ConfigError: new m.ConfigError(['apiUrl is required']),
    HttpStatusError: new m.HttpStatusError('gone', 410, 'http://api/x'),
    ResponseTooLargeError: new m.ResponseTooLargeError('too big', 1024, 'http://api/x'),
    RateLimitError: new m.RateLimitError('too long', 600_000),
    AuthError: new m.AuthError('refused', 'http://api/login', 401),
    TimeoutError: new m.TimeoutError('late', 1000),
    UploadError: new m.UploadError('refused'),
    PagingError: new m.PagingError('loop', 3),
    RetryLimitError: new m.RetryLimitError('gave up', []),
    OutputError: new m.OutputError('disk full'),
    StagingError: new m.StagingError('corrupt'),
    RunLockedError: new m.RunLockedError('run-1', 123, '/tmp/run-1.lock'),
  };
}

type Guard = (error: unknown) => boolean;
type ErrorClass = abstract new (...args: never[]) => Error;

/** The exported error classes of a copy of the main entry, with their guards. */
function errorClasses(m: Record<string, unknown>): [string, ErrorClass, Guard][] {
  return Object.entries(m)
    .filter((entry): entry is [string, ErrorClass] => typeof entry[1] === 'function' && entry[1].prototype instanceof Error)
    .map(([name, errorClass]) => [name, errorClass, m[`is${name}`] as Guard]);
}

describe('the exported errors', () => {
  const errors = samples(main);

  it('every error class is an IngestError with a guard, and has a sample here', () => {
    const classes = errorClasses(main);
    expect(sorted(classes.map(([name]) => name))).toEqual(sorted(Object.keys(errors)));
    for (const [name, errorClass, guard] of classes) {
      expect(typeof guard, `is${name}`).toBe('function');
      expect(errorClass === main.IngestError || errorClass.prototype instanceof main.IngestError, name).toBe(true);
      expect(errors[name]!.name, 'the brand is named as the class').toBe(name);
      expect(Symbol.for(`ingest.error.${name}`) in errors[name]!).toBe(true);
    }
  });

  it('each guard is true for its class and subclasses, false for other IngestErrors and plain errors', () => {
    for (const [name, errorClass, guard] of errorClasses(main)) {
      for (const [other, error] of Object.entries(errors)) {
        expect(guard(error), `is${name}(${other})`).toBe(error instanceof errorClass);
      }
      for (const value of [
        new Error('plain'),
        { name, message: 'looks alike' },
        Object.assign(new Error('x'), { name }),
        null,
        undefined,
        name,
      ]) {
        expect(guard(value), `is${name}(${String(value)})`).toBe(false);
      }
    }
    expect(main.isStagingError(errors['RunLockedError'])).toBe(true);
    expect(main.isRunLockedError(errors['StagingError'])).toBe(false);
    expect(Object.values(errors).every((error) => main.isIngestError(error))).toBe(true);
  });

  it('the guards recognise errors from another copy of the package, where instanceof does not', async () => {
    vi.resetModules();
    const copy = (await import('../../src/index.js')) as typeof main;
    expect(copy.ConfigError).not.toBe(main.ConfigError);
    const foreign = samples(copy);
    for (const [name, errorClass, guard] of errorClasses(main)) {
      for (const [other, error] of Object.entries(foreign)) {
        const expected = errors[other] instanceof errorClass;
        expect(guard(error), `is${name}(foreign ${other})`).toBe(expected);
        if (expected) expect(error instanceof errorClass).toBe(false);
      }
    }
  });
});
