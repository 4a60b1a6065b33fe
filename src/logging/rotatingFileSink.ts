import { rmSync } from 'node:fs';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { RotationSettings } from './rotationSettings.js';

export interface RotatingFileSinkOptions {
  /** Directory of the files; created if missing. */
  readonly dir: string;
  /** The active file; rotated copies are `<fileName>.1` (newest) … `<fileName>.<keep>`. */
  readonly fileName: string;
  readonly rotation: RotationSettings;
  /** The sink has failed and drops every later line; called once. */
  readonly onError: (error: Error) => void;
  /** A problem that did not stop the sink (e.g. a rotated file that could not be removed). */
  readonly onWarning: (error: Error) => void;
}

/**
 * Log lines appended to a file rotated like logrotate or Python's RotatingFileHandler, in the
 * main thread (rotating-file-stream with `rotate`): the active file keeps its name; at each
 * rotation `.1` becomes `.2` and so on, the active file becomes `.1`, and the oldest beyond
 * `keep` is overwritten. A line is never split between two files.
 */
export class RotatingFileSink {
  readonly #stream: RotatingFileStream;
  #lastWrite: Promise<void> = Promise.resolve();
  #failed = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #onError: (error: Error) => void;

  /** Throws only on invalid settings; failures to open or write are reported through `onError`. */
  constructor(options: RotatingFileSinkOptions) {
    const { rotation } = options;
    this.#stream = createStream(options.fileName, {
      path: options.dir,
      size: rotation.size,
      ...(rotation.interval === undefined ? {} : { interval: rotation.interval }),
      // rotating-file-stream refuses rotate: 0; keep 0 removes the single copy below instead.
      rotate: Math.max(rotation.keep, 1),
    });
    this.#onError = options.onError;
    // After an 'error' rotating-file-stream is destroyed; without a listener it would crash the process.
    this.#stream.on('error', (error) => this.#fail(error));
    this.#stream.on('warning', (error) => options.onWarning(error));
    if (rotation.keep === 0) {
      // Synchronous, so the copy is gone before the stream reopens the active file and rotates again.
      this.#stream.on('rotated', (rotated) => {
        try {
          rmSync(rotated, { force: true });
        } catch (error) {
          options.onWarning(error as Error);
        }
      });
    }
  }

  /** Appends one line; dropped once the sink has failed or is closed. */
  write(line: string): void {
    if (this.#failed || this.#closed) return;
    const stream = this.#stream;
    if (stream.destroyed) {
      this.#fail(stream.errored ?? new Error('the log file stream was destroyed'));
      return;
    }
    // Writable completes writes in order, so the last write's callback covers all before it.
    // A write's callback sees an error before the stream emits 'error': report it from there.
    this.#lastWrite = new Promise((resolve) =>
      stream.write(line, (error) => {
        if (error) this.#fail(error);
        resolve();
      }),
    );
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#onError(error);
  }

  /** Resolves once every line written so far is in the file (or the sink has failed). */
  flush(): Promise<void> {
    return this.#lastWrite;
  }

  /** Writes what is pending, then closes the file; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const stream = this.#stream;
    if (stream.closed) {
      if (stream.errored) this.#fail(stream.errored);
      return;
    }
    // end() runs the pending writes, then _final closes the file; 'close' follows 'finish' or 'error'.
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      if (!stream.writableEnded) stream.end();
    });
    if (stream.errored) this.#fail(stream.errored);
  }
}
