import type { FileLogOptions } from './createAppLogger.js';

/** FileLogOptions' rotation fields in rotating-file-stream's terms. */
export interface RotationSettings {
  /** Rotate once the active file holds this many bytes (rotating-file-stream syntax, e.g. `1024B`). */
  readonly size: `${number}B`;
  /** rotating-file-stream interval (`1d`, `1h`, `15m`, `30s`), or undefined for size only. */
  readonly interval: string | undefined;
  /** Rotated files kept besides the active one. */
  readonly keep: number;
}

const units: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes of a size such as `10m`, `10M`, `10MB`, `512k`, `2048b`, `2048` or a number; undefined if invalid. */
export function parseLogSize(size: string | number): number | undefined {
  if (typeof size === 'number') return Number.isSafeInteger(size) && size > 0 ? size : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$/i.exec(size);
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * units[match[2]!.toLowerCase()]!);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

/**
 * The rotating-file-stream interval for a frequency. Intervals are aligned to the local clock
 * (midnight, full hours), so a period must be whole days or divide a day, an hour or a minute.
 */
export function rotationInterval(frequency: FileLogOptions['frequency']): string | undefined | Error {
  if (frequency === false) return undefined;
  if (frequency === undefined || frequency === 'daily') return '1d';
  if (frequency === 'hourly') return '1h';
  if (typeof frequency !== 'number' || !Number.isSafeInteger(frequency) || frequency <= 0) {
    return new Error(`"daily", "hourly", false or a positive number of ms, got ${JSON.stringify(frequency)}`);
  }
  if (frequency % day === 0) return `${frequency / day}d`;
  for (const [unit, ms, whole] of [
    ['h', hour, day],
    ['m', minute, hour],
    ['s', second, minute],
  ] as const) {
    if (frequency % ms === 0 && whole % frequency === 0) return `${frequency / ms}${unit}`;
  }
  return new Error(`${frequency} ms is neither whole days nor a divisor of a day, an hour or a minute`);
}

/** The rotation settings of `file`, or the list of what is wrong with them. */
export function rotationSettings(file: FileLogOptions): RotationSettings | string[] {
  const problems: string[] = [];
  const size = parseLogSize(file.size ?? '10m');
  if (size === undefined) problems.push(`file.size: a positive size like "10m", "512k" or a byte count, got ${JSON.stringify(file.size)}`);
  const interval = rotationInterval(file.frequency);
  if (interval instanceof Error) problems.push(`file.frequency: ${interval.message}`);
  const keep = file.keep ?? 7;
  if (!Number.isInteger(keep) || keep < 0) problems.push('file.keep: must be an integer ≥ 0');
  if (problems.length > 0 || size === undefined || interval instanceof Error) return problems;
  return { size: `${size}B`, interval, keep };
}
