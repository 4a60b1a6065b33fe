import { join, resolve } from 'node:path';
import { pino, type DestinationStream, type Level, type LevelWithSilent, type Logger, type StreamEntry } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Clock } from '../runtime/clock.js';
import { loggerFor } from './loggerFor.js';
import { redactingLoggerOptions } from './loggerOptions.js';
import { RotatingFileSink } from './rotatingFileSink.js';
import { rotationSettings, type RotationSettings } from './rotationSettings.js';
import type { SecretRegistry } from './redaction.js';

/**
 * The error log: JSON lines appended to `<dir>/<fileName>` (default `logs/app.log`), rotated like
 * Python's RotatingFileHandler. The active file always has the plain name; at a rotation it
 * becomes `app.log.1`, the previous `app.log.1` becomes `app.log.2`, and so on up to
 * `app.log.<keep>`; older lines are dropped. Rotation happens when the active file reaches `size`
 * and, with `frequency`, at each local midnight (or full hour, …; rotating-file-stream reads the
 * wall clock here, not the injected Clock). An existing active file is appended to, after a first
 * rotation if it is already over `size`. Files are written in the main thread
 * (rotating-file-stream), so `AppLogger.close()` is a plain end of a Writable.
 */
export interface FileLogOptions {
  /** Directory of the log files (created if missing). Default `logs`. */
  readonly dir?: string;
  /** Name of the active file; rotated copies append `.1` … `.<keep>`. Default `app.log`. */
  readonly fileName?: string;
  /** Lowest level written to the file. Default `error`. */
  readonly level?: Level;
  /**
   * Rotate once the active file reaches this size: bytes as a number, or a string with a binary
   * unit in any case — `10m`, `10M`, `10MB`, `512k`, `2048b`. Default `10m`. The file can exceed it
   * by one line: a line is never split.
   */
  readonly size?: string | number;
  /**
   * Rotate also by time, aligned to the local clock: `daily` (midnight), `hourly`, a period in ms
   * (whole days, or a divisor of a day, an hour or a minute), or false for size only. Default `daily`.
   */
  readonly frequency?: 'daily' | 'hourly' | number | false;
  /** Rotated files kept besides the active one (`app.log.1` … `app.log.<keep>`); 0 keeps none. Default 7. */
  readonly keep?: number;
}

export interface AppLoggerOptions {
  /** Lowest level shown on the console. Default `debug`. */
  readonly level?: LevelWithSilent;
  /** Console destination; default stderr (stdout carries command output). Tests inject a stream here. */
  readonly destination?: DestinationStream;
  /** Human-readable console lines (pino-pretty); default: when writing to a stderr that is a TTY. */
  readonly pretty?: boolean;
  /** The rotating error log; `false` for none. Default: `logs/app.log`, ERROR and up. */
  readonly file?: FileLogOptions | false;
  /** Secret values to scrub; default the process-wide registry. */
  readonly secrets?: SecretRegistry;
  /** Timestamps from this clock (virtual time in simulations). */
  readonly clock?: Clock;
}

const levelValues = pino.levels.values;

/** A line that stays on the console and is redrawn (a progress display): log lines must not glue onto it. */
export interface LiveLine {
  clear(): void;
  redraw(): void;
}

/**
 * Log with `{ [FILE_ONLY]: true }` to write a line to the error log file but not the console
 * (e.g. the stack of an error the CLI already told the user in one sentence).
 */
export const FILE_ONLY = 'fileOnly';

/** Below debug the console shows what failed, not where: stacks stay in the error log file. */
function withoutStacks(line: string): string {
  if (!line.includes('"stack"')) return line;
  const entry = JSON.parse(line) as Record<string, unknown>;
  const strip = (value: unknown, depth: number): void => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    delete record['stack'];
    for (const inner of Object.values(record)) strip(inner, depth + 1);
  };
  for (const value of Object.values(entry)) strip(value, 0);
  return `${JSON.stringify(entry)}\n`;
}

/** Throws a TypeError listing every invalid option; returns the file's rotation settings. */
function validate(options: AppLoggerOptions): RotationSettings | undefined {
  const problems: string[] = [];
  if (options.level !== undefined && options.level !== 'silent' && levelValues[options.level] === undefined) {
    problems.push(`level: unknown level "${String(options.level)}"`);
  }
  let rotation: RotationSettings | undefined;
  if (options.file !== false) {
    const file = options.file ?? {};
    if (file.level !== undefined && levelValues[file.level] === undefined)
      problems.push(`file.level: unknown level "${String(file.level)}"`);
    if (file.dir !== undefined && file.dir.trim() === '') problems.push('file.dir: must not be empty');
    if (file.fileName !== undefined && file.fileName.trim() === '') problems.push('file.fileName: must not be empty');
    const settings = rotationSettings(file);
    if (Array.isArray(settings)) problems.push(...settings);
    else rotation = settings;
  }
  if (problems.length > 0) throw new TypeError(`createAppLogger: ${problems.join('; ')}`);
  return rotation;
}

/** A console sink that formats synchronously, so a flush needs no stream plumbing. */
function prettySink(destination: DestinationStream, colorize: boolean): DestinationStream {
  const format = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return { write: (line: string) => destination.write(format(line)) };
}

interface Flushable {
  flushSync?: () => void;
}

/**
 * The CLI's logging: one root pino logger writing DEBUG+ (configurable) to the console and
 * ERROR+ as JSON lines to a rotating file (see FileLogOptions), with the shared redaction. Hand
 * `logger` (or `for(namespace)`) to the library; call `close()` before exiting so every line is
 * written. A file that cannot be written never fails the run: the logger says so once on the
 * console and keeps logging there.
 */
export class AppLogger {
  readonly logger: Logger;
  readonly #console: DestinationStream & Flushable;
  readonly #file: RotatingFileSink | undefined;
  #closing: Promise<void> | undefined;
  #liveLine: LiveLine | undefined;

  constructor(options: AppLoggerOptions = {}) {
    const rotation = validate(options);
    const consoleLevel = options.level ?? 'debug';
    const toStderr = options.destination === undefined;
    const raw: DestinationStream & Flushable = options.destination ?? pino.destination({ dest: 2, sync: true });
    const pretty = options.pretty ?? (toStderr && process.stderr.isTTY === true);
    this.#console = raw;
    const streams: StreamEntry<Level>[] = [];
    if (consoleLevel !== 'silent') {
      const sink = pretty ? prettySink(raw, toStderr && process.stderr.isTTY === true) : raw;
      const stacks = levelValues[consoleLevel]! <= levelValues['debug']!;
      const fileOnly = `"${FILE_ONLY}":true`;
      const write = (line: string): void => {
        if (line.includes(fileOnly)) return;
        this.#liveLine?.clear();
        sink.write(stacks ? line : withoutStacks(line));
        this.#liveLine?.redraw();
      };
      streams.push({ level: consoleLevel, stream: { write } });
    }
    const file = options.file === false ? undefined : (options.file ?? {});
    const fileLevel = file ? (file.level ?? 'error') : undefined;
    // The sink is opened once the logger exists (it reports its failures through it).
    if (fileLevel) streams.push({ level: fileLevel, stream: { write: (line: string) => this.#file?.write(line) } });
    const levels = [consoleLevel === 'silent' ? Infinity : levelValues[consoleLevel]!, fileLevel ? levelValues[fileLevel]! : Infinity];
    const min = Math.min(...levels);
    const rootLevel = min === Infinity ? 'silent' : pino.levels.labels[min]!;
    const base = redactingLoggerOptions({
      level: rootLevel,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.logger = pino(base, pino.multistream(streams));
    if (file && rotation) this.#file = this.#openFile(file, rotation);
  }

  #openFile(file: FileLogOptions, rotation: RotationSettings): RotatingFileSink | undefined {
    const dir = resolve(file.dir ?? 'logs');
    const path = join(dir, file.fileName ?? 'app.log');
    const log = loggerFor(this.logger, 'logging');
    // By the time onError runs the sink drops lines, so this error reaches the console only.
    const onError = (err: Error): void => log.error({ err, path }, `cannot write the error log ${path}; errors go to the console only`);
    try {
      return new RotatingFileSink({
        dir,
        fileName: file.fileName ?? 'app.log',
        rotation,
        onError,
        onWarning: (err) => log.warn({ err, path }, `error log ${path}: ${err.message}`),
      });
    } catch (error) {
      onError(error as Error);
      return undefined;
    }
  }

  /** The line to clear before each console log line and redraw after it; undefined to stop. */
  setLiveLine(line: LiveLine | undefined): void {
    this.#liveLine = line;
  }

  /** The child logger of one module; the same child for the same namespace. */
  for(namespace: string): Logger {
    return loggerFor(this.logger, namespace);
  }

  /** Resolves once every line logged so far is written (console and file). */
  async flush(): Promise<void> {
    this.#console.flushSync?.();
    await this.#file?.flush();
  }

  /** Flushes and closes the file; idempotent. Lines logged afterwards reach the console only. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#console.flushSync?.();
    await this.#file?.close();
  }
}

/** Builds the CLI's AppLogger (console + rotating error file). */
export function createAppLogger(options: AppLoggerOptions = {}): AppLogger {
  return new AppLogger(options);
}
