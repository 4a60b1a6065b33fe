import type { Logger } from 'pino';
import { ConfigError } from '../errors.js';
import type { StreamEvent } from '../paging/streamEvent.js';
import type { RunCounters } from '../run/runTypes.js';
import { formatCount, formatDuration, neutralizeControls } from '../report/format.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';

/** The part of a `NodeJS.WriteStream` the display needs. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  /** Terminal width; a redrawn line longer than this would wrap and break `\r` redraws. */
  readonly columns?: number;
}

export interface ProgressOptions {
  readonly stream: ProgressStream;
  /** Redraw one line on the terminal (true) or log periodic lines (false). Default: `stream.isTTY`. */
  readonly isTTY?: boolean;
  readonly clock: Clock;
  /** Receives the periodic progress lines when not on a TTY. */
  readonly logger: Logger;
  /** At most one redraw / log line per interval. Default: 200 ms on a TTY, 10 s otherwise. */
  readonly intervalMs?: number;
  /** The records/s rate and the ETA use the pages staged within this window. Default 10 s. */
  readonly rateWindowMs?: number;
  /** Pages already staged by an earlier attempt of this run (resume), counted as done. */
  readonly pagesAlreadyStaged?: number;
}

/** What the display shows, at one instant. */
export interface ProgressSnapshot {
  readonly state: string;
  readonly pagesDone: number;
  readonly pagesTotal: number | undefined;
  readonly records: number;
  /**
   * The run's throughput, the report's figure: records / seconds of the fetch phase (from the
   * stream's first event to its completion, or to now).
   */
  readonly averageRecordsPerSecond: number;
  /** Records/s over the last rate window only: shown as "now", and what the ETA uses. */
  readonly recordsPerSecond: number;
  readonly retries: number;
  readonly rateLimited: number;
  readonly tokenRefreshes: number;
  readonly anomalies: number;
  /** Remaining run-wide 429 pause, 0 when not paused. */
  readonly pausedForMs: number;
  /** Estimated time to the last page, when the total is known and pages are flowing. */
  readonly etaMs: number | undefined;
  readonly completed: boolean;
}

export interface Progress {
  /** The run's figures, as the machine counted them: the display counts nothing itself. */
  onCounters(counters: RunCounters): void;
  /** Timing only: when pages land (the rate and ETA), pauses, the end of the stream. */
  onEvent(event: StreamEvent): void;
  onState(name: string): void;
  /**
   * Draws the final figures (and ends the line on a TTY); later events are ignored. `final`: the
   * report's throughput and status, so that the last line and the summary say the same (a
   * cancelled run's machine ends in its failed state, but the run is cancelled).
   */
  stop(final?: { readonly recordsPerSecond: number; readonly status?: string }): void;
  /** Erases the line on a TTY (before a log line is written); no-op elsewhere. */
  clear(): void;
  /** Draws the line again after `clear()`; no-op elsewhere or once stopped. */
  redraw(): void;
  snapshot(): ProgressSnapshot;
}

const DEFAULTS = { ttyIntervalMs: 200, logIntervalMs: 10_000, rateWindowMs: 10_000 } as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0)
    throw new ConfigError([`progress option ${name} must be a positive number of milliseconds, got ${String(value)}`]);
  return v;
}

/** "ETA 1m 05s": whole seconds, rounded up, because an ETA that says 0 s too early is wrong. */
export function formatEta(ms: number): string {
  if (ms <= 0) return '0s';
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * A live progress display of the run machine's counters and state, timed by the page stream's events. On a
 * TTY it redraws one line (`\r` + erase line); elsewhere it logs a line through pino. Either
 * way it draws at most once per interval of the injected clock, with one trailing timer so the
 * latest figures always show — and no timer at all while nothing changes.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream, clock, logger } = options;
  const tty = options.isTTY ?? stream.isTTY === true;
  const intervalMs = positive('intervalMs', options.intervalMs, tty ? DEFAULTS.ttyIntervalMs : DEFAULTS.logIntervalMs);
  const rateWindowMs = positive('rateWindowMs', options.rateWindowMs, DEFAULTS.rateWindowMs);
  const log = logger.child({ component: 'progress' });

  const startedAt = clock.now();
  let state = 'starting';
  const pagesBefore = options.pagesAlreadyStaged ?? 0;
  let pagesDone = pagesBefore;
  let pagesTotal: number | undefined;
  let records = 0;
  let retries = 0;
  let rateLimited = 0;
  let tokenRefreshes = 0;
  let anomalies = 0;
  let pausedUntil = 0;
  let completed = false;
  let stopped = false;
  let fetchStartedAt: number | undefined;
  let fetchEndedAt: number | undefined;
  let finalRate: number | undefined;
  /** The line on screen (TTY), for redrawing it after a log line. */
  let shown: string | undefined;
  /** Pages staged within the rate window: when, and how many records. */
  let recent: { at: number; records: number }[] = [];
  let lastDrawAt: number | undefined;
  /** Something changed since the last draw. */
  let dirty = true;
  let trailing: TimerHandle | undefined;

  function snapshot(): ProgressSnapshot {
    const now = clock.now();
    recent = recent.filter((p) => p.at > now - rateWindowMs);
    const spanMs = Math.min(rateWindowMs, now - startedAt);
    const windowRecords = recent.reduce((sum, p) => sum + p.records, 0);
    const recordsPerSecond = spanMs > 0 ? (windowRecords * 1000) / spanMs : 0;
    const pagesPerMs = spanMs > 0 ? recent.length / spanMs : 0;
    const pausedForMs = Math.max(0, pausedUntil - now);
    const fetchMs = fetchStartedAt === undefined ? 0 : (fetchEndedAt ?? now) - fetchStartedAt;
    const averageRecordsPerSecond = finalRate ?? (fetchMs > 0 ? (records * 1000) / fetchMs : 0);
    let etaMs: number | undefined;
    if (completed) etaMs = 0;
    else if (pagesTotal !== undefined && pagesPerMs > 0) etaMs = Math.max(0, pagesTotal - pagesDone) / pagesPerMs + pausedForMs;
    return {
      state,
      pagesDone,
      pagesTotal,
      records,
      averageRecordsPerSecond,
      recordsPerSecond,
      retries,
      rateLimited,
      tokenRefreshes,
      anomalies,
      pausedForMs,
      etaMs,
      completed,
    };
  }

  function describe(s: ProgressSnapshot): string {
    const parts = [
      s.pausedForMs > 0 ? `${neutralizeControls(s.state)} (paused ${formatDuration(s.pausedForMs)})` : neutralizeControls(s.state),
      `pages ${formatCount(s.pagesDone)}/${s.pagesTotal === undefined ? '?' : formatCount(s.pagesTotal)}`,
      `records ${formatCount(s.records)}`,
      // The summary's figure and format; the windowed rate only as "now", while fetching.
      s.completed || stopped
        ? `${formatCount(s.averageRecordsPerSecond, 1)} records/s`
        : `${formatCount(s.averageRecordsPerSecond, 1)} records/s (now ${formatCount(s.recordsPerSecond)})`,
      `retries ${formatCount(s.retries)}`,
      `429s ${formatCount(s.rateLimited)}`,
    ];
    if (s.tokenRefreshes > 0) parts.push(`token refreshes ${formatCount(s.tokenRefreshes)}`);
    if (s.anomalies > 0) parts.push(`anomalies ${formatCount(s.anomalies)}`);
    parts.push(s.completed ? 'all pages staged' : `ETA ${s.etaMs === undefined ? '?' : formatEta(s.etaMs)}`);
    return parts.join('  ');
  }

  function draw(): void {
    lastDrawAt = clock.now();
    dirty = false;
    const s = snapshot();
    const line = describe(s);
    if (tty) {
      const width = stream.columns;
      const fitted = width !== undefined && width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
      shown = fitted;
      stream.write(`\r\x1b[K${fitted}`);
    } else {
      const { recordsPerSecond, averageRecordsPerSecond, etaMs, ...counts } = s;
      log.info(
        {
          progress: {
            ...counts,
            averageRecordsPerSecond: Math.round(averageRecordsPerSecond * 10) / 10,
            recordsPerSecond: Math.round(recordsPerSecond * 10) / 10,
            ...(etaMs === undefined ? {} : { etaMs: Math.round(etaMs) }),
          },
        },
        `progress: ${line.replace(/ {2}/g, ', ')}`,
      );
    }
  }

  function changed(): void {
    if (stopped) return;
    dirty = true;
    const now = clock.now();
    if (lastDrawAt === undefined || now - lastDrawAt >= intervalMs) {
      if (trailing !== undefined) {
        clock.clearTimeout(trailing);
        trailing = undefined;
      }
      draw();
    } else if (trailing === undefined) {
      trailing = clock.setTimeout(
        () => {
          trailing = undefined;
          if (!stopped) draw();
        },
        lastDrawAt + intervalMs - now,
      );
    }
  }

  return {
    onCounters(c) {
      if (stopped) return;
      pagesDone = pagesBefore + c.pagesStaged;
      pagesTotal = c.pagesTotal ?? undefined;
      records = c.recordsReceived;
      retries = c.requests.retries;
      rateLimited = c.requests.rateLimited;
      tokenRefreshes = c.requests.tokenRefreshes;
      anomalies = c.anomalies.length;
      changed();
    },
    onEvent(event) {
      if (stopped) return;
      const now = clock.now();
      fetchStartedAt ??= now;
      switch (event.type) {
        case 'page.staged':
          // The counters that follow this event redraw.
          recent.push({ at: now, records: event.records });
          return;
        case 'rateLimit.hit':
          pausedUntil = Math.max(pausedUntil, now + event.waitMs);
          break;
        case 'rateLimit.resumed':
          pausedUntil = 0;
          break;
        case 'stream.completed':
          completed = true;
          fetchEndedAt = now;
          pausedUntil = 0;
          break;
        default:
          return;
      }
      changed();
    },
    onState(name) {
      if (stopped || name === state) return;
      state = name;
      changed();
    },
    stop(final) {
      if (stopped) return;
      if (trailing !== undefined) clock.clearTimeout(trailing);
      trailing = undefined;
      fetchEndedAt ??= clock.now();
      stopped = true;
      if (final !== undefined) {
        finalRate = final.recordsPerSecond;
        if (final.status !== undefined) state = final.status;
        dirty = true;
      }
      // The final figures, unless they are already on screen / in the log.
      if (dirty) draw();
      if (tty) stream.write('\n');
      shown = undefined;
    },
    clear() {
      if (tty && shown !== undefined) stream.write('\r\x1b[K');
    },
    redraw() {
      if (tty && shown !== undefined) stream.write(`\r\x1b[K${shown}`);
    },
    snapshot,
  };
}
