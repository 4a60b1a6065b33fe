import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino, type DestinationStream, type Level, type LevelWithSilent, type Logger, type StreamEntry } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Clock } from '../runtime/clock.js';
import { loggerFor } from './loggerFor.js';
import { redactingLoggerOptions } from './loggerOptions.js';
import type { SecretRegistry } from './redaction.js';

/** Rotation of the error log: pino-roll in a transport worker. */
export interface FileLogOptions {
  /** Directory of the log files (created if missing). Default `logs`. */
  readonly dir?: string;
  /** Base name; pino-roll numbers it: `app.1.log`, `app.2.log`, … Default `app.log`. */
  readonly fileName?: string;
  /** Lowest level written to the file. Default `error`. */
  readonly level?: Level;
  /** Roll when the file reaches this size (pino-roll syntax: `10m`, `512k`, `2048b`). Default `10m`. */
  readonly size?: string | number;
  /** Roll also by time: `daily`, `hourly`, ms, or false for size only. Default `daily`. */
  readonly frequency?: 'daily' | 'hourly' | number | false;
  /** Rotated files kept besides the active one. Default 7. */
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

function validate(options: AppLoggerOptions): void {
  const problems: string[] = [];
  if (options.level !== undefined && options.level !== 'silent' && levelValues[options.level] === undefined) {
    problems.push(`level: unknown level "${String(options.level)}"`);
  }
  const file = options.file;
  if (file) {
    if (file.level !== undefined && levelValues[file.level] === undefined) problems.push(`file.level: unknown level "${String(file.level)}"`);
    if (file.keep !== undefined && (!Number.isInteger(file.keep) || file.keep < 0)) problems.push('file.keep: must be an integer ≥ 0');
    if (file.dir !== undefined && file.dir.trim() === '') problems.push('file.dir: must not be empty');
  }
  if (problems.length > 0) throw new TypeError(`createAppLogger: ${problems.join('; ')}`);
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
 * ERROR+ as JSON lines to a rotating file, with the shared redaction. Hand `logger` (or
 * `for(namespace)`) to the library; call `close()` before exiting so every line is written.
 */
export class AppLogger {
  readonly logger: Logger;
  readonly #console: DestinationStream & Flushable;
  readonly #file: ReturnType<typeof pino.transport> | undefined;
  readonly #fileSink: { closed: boolean } | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: AppLoggerOptions = {}) {
    validate(options);
    const consoleLevel = options.level ?? 'debug';
    const toStderr = options.destination === undefined;
    const raw: DestinationStream & Flushable = options.destination ?? pino.destination({ dest: 2, sync: true });
    const pretty = options.pretty ?? (toStderr && process.stderr.isTTY === true);
    this.#console = raw;
    const streams: StreamEntry<Level>[] = [];
    if (consoleLevel !== 'silent') {
      streams.push({ level: consoleLevel, stream: pretty ? prettySink(raw, toStderr && process.stderr.isTTY === true) : raw });
    }
    let fileLevel: Level | undefined;
    if (options.file !== false) {
      const file = options.file ?? {};
      fileLevel = file.level ?? 'error';
      const dir = resolve(file.dir ?? 'logs');
      mkdirSync(dir, { recursive: true });
      const frequency = file.frequency ?? 'daily';
      this.#file = pino.transport({
        targets: [
          {
            target: 'pino-roll',
            level: fileLevel,
            options: {
              file: join(dir, file.fileName ?? 'app.log'),
              size: file.size ?? '10m',
              ...(frequency === false ? {} : { frequency }),
              limit: { count: file.keep ?? 7 },
              mkdir: true,
            },
          },
        ],
      });
      const sink = { closed: false };
      this.#fileSink = sink;
      const transport = this.#file;
      // A failing file sink must not crash the run; say so on the console instead.
      transport.on('error', (err: unknown) => {
        raw.write(`${JSON.stringify({ level: 50, msg: 'file log sink failed', err: String(err) })}\n`);
      });
      // Writes after close() are dropped rather than thrown at an ended worker.
      streams.push({ level: fileLevel, stream: { write: (line: string) => void (sink.closed || transport.write(line)) } });
    }
    const levels = [consoleLevel === 'silent' ? Infinity : levelValues[consoleLevel]!, fileLevel ? levelValues[fileLevel]! : Infinity];
    const min = Math.min(...levels);
    const rootLevel = min === Infinity ? 'silent' : pino.levels.labels[min]!;
    const base = redactingLoggerOptions({
      level: rootLevel,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.logger = pino(base, pino.multistream(streams));
  }

  /** The child logger of one module; the same child for the same namespace. */
  for(namespace: string): Logger {
    return loggerFor(this.logger, namespace);
  }

  /** Resolves once every line logged so far is written (console and file). */
  async flush(): Promise<void> {
    this.#console.flushSync?.();
    const file = this.#file;
    if (file && !this.#fileSink?.closed) {
      await new Promise<void>((resolveFlush, reject) => file.flush((err?: Error | null) => (err ? reject(err) : resolveFlush())));
    }
  }

  /** Flushes and stops the file worker; idempotent. Lines logged afterwards reach the console only. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.flush();
    const file = this.#file;
    if (!file || !this.#fileSink) return;
    this.#fileSink.closed = true;
    await new Promise<void>((resolveClose) => {
      file.once('close', () => resolveClose());
      // The worker is unref'd once idle; without a ref the process could exit before it has
      // written its last lines and emitted 'close' (ThreadStream.ref exists but is untyped).
      (file as unknown as { ref?: () => void }).ref?.();
      file.end();
    });
  }
}

/** Builds the CLI's AppLogger (console + rotating error file). */
export function createAppLogger(options: AppLoggerOptions = {}): AppLogger {
  return new AppLogger(options);
}
