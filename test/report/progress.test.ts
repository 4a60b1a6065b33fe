import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createProgress, formatEta, type Progress } from '../../src/cli/progress.js';
import { ConfigError } from '../../src/errors.js';
import type { StreamEvent } from '../../src/paging/streamEvent.js';
import { countEvent, emptyCounters } from '../../src/run/runCounters.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';

/** A terminal that records each write with the virtual time it happened at. */
function fakeTerminal(clock: SimulatedClock, columns?: number) {
  const writes: { at: number; text: string }[] = [];
  const stream = {
    isTTY: true,
    ...(columns === undefined ? {} : { columns }),
    write: (text: string) => writes.push({ at: clock.now(), text }),
  };
  const frames = () => writes.filter((w) => w.text.startsWith('\r\x1b[K')).map((w) => ({ at: w.at, line: w.text.slice(4) }));
  return { stream, writes, frames };
}

/** A pino logger writing JSON lines to memory, each stamped with the virtual time. */
function memoryLogger(clock: SimulatedClock) {
  const lines: { at: number; entry: Record<string, unknown> }[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push({ at: clock.now(), entry: JSON.parse(line) as Record<string, unknown> }) },
  );
  return { logger, lines };
}

/** Feeds events as a run does: to the display for timing, and counted once into the counters it shows. */
function feeder(progress: Progress): (event: StreamEvent) => void {
  let counters = emptyCounters;
  let paused = false;
  return (event) => {
    progress.onEvent(event);
    counters = countEvent(counters, event, { paused, pagesSkippedOnResume: 0 });
    if (event.type === 'rateLimit.hit') paused = true;
    if (event.type === 'rateLimit.resumed') paused = false;
    progress.onCounters(counters);
  };
}

const declined = (page: number): StreamEvent => ({ type: 'request.done', page, outcome: '429', bytes: 0 });

const staged = (page: number, records = 1000, totalPages = 10): StreamEvent => ({
  type: 'page.staged',
  page,
  records,
  attempts: 1,
  latencyMs: 50,
  totalPages,
});

describe('createProgress on a TTY', () => {
  it('redraws one line with the state, pages, records, rate, retries, 429s and ETA', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }), intervalMs: 200 });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed({ type: 'request.sent', page: 1 });
    for (let page = 1; page <= 4; page++) {
      await clock.advance(1000);
      feed(staged(page));
      if (page === 2) {
        feed({ type: 'page.retry', page: 3, attempt: 1, status: 503, outcome: '503', reason: 'HTTP 503', waitMs: 250 });
        feed({ type: 'page.retry', page: 3, attempt: 2, status: undefined, outcome: 'timeout', reason: 'timeout', waitMs: 500 });
        feed(declined(3));
        feed({ type: 'rateLimit.hit', page: 3, waitMs: 300, ratePerSecond: 4 });
      }
    }
    // 4 pages of 1,000 records in 4 s: 1,000 records/s, 1 page/s, 6 pages left: 6 s.
    const last = term.frames().at(-1)!;
    expect(last.at).toBe(4000);
    expect(last.line).toBe('fetching  pages 4/10  records 4,000  1,000.0 records/s (now 1,000)  retries 2  429s 1  ETA 6s');
    expect(progress.snapshot()).toMatchObject({
      pagesDone: 4,
      pagesTotal: 10,
      records: 4000,
      averageRecordsPerSecond: 1000,
      recordsPerSecond: 1000,
      etaMs: 6000,
    });
    // Every frame starts on a cleared line: nothing accumulates on the terminal.
    expect(term.writes.every((w) => w.text.startsWith('\r\x1b[K'))).toBe(true);
  });

  it('adds a running 429 pause to the ETA and shows it', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed({ type: 'request.sent', page: 1 });
    for (let page = 1; page <= 5; page++) {
      await clock.advance(2000);
      feed(staged(page, 500, 20));
    }
    progress.onState('backingOff');
    await clock.advance(200);
    feed(declined(6));
    feed({ type: 'rateLimit.hit', page: 6, waitMs: 5000, ratePerSecond: 2 });
    // 5 pages in the last 10 s (window) -> 0.5 page/s; 15 left -> 30 s, + 5 s of pause.
    expect(progress.snapshot().etaMs).toBeCloseTo(35_000, 0);
    await clock.advance(200);
    // On average 2,500 records in 10.4 s; in the last 10 s, 250 records/s.
    expect(term.frames().at(-1)!.line).toBe(
      'backingOff (paused 4.8 s)  pages 5/20  records 2,500  240.4 records/s (now 250)  retries 0  429s 1  ETA 35s',
    );
    feed({ type: 'rateLimit.resumed' });
    expect(progress.snapshot().pausedForMs).toBe(0);
  });

  it('draws at most once per interval and still shows the latest figures', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }), intervalMs: 200 });
    const feed = feeder(progress);
    progress.onState('fetching');
    for (let page = 1; page <= 100; page++) {
      await clock.advance(15);
      feed(staged(page, 10, 100));
    }
    const frames = term.frames();
    for (let i = 1; i < frames.length; i++) expect(frames[i]!.at - frames[i - 1]!.at).toBeGreaterThanOrEqual(200);
    expect(frames.length).toBeLessThanOrEqual(Math.floor(1500 / 200) + 1);
    // The trailing redraw brings the last event on screen within one interval, then no timer is left.
    await clock.advance(200);
    expect(term.frames().at(-1)!.line).toContain('pages 100/100  records 1,000');
    expect(clock.pendingTimers).toBe(0);
  });

  it('shows an unknown total and ETA as "?" rather than guessing', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed({ type: 'request.sent', page: 1 });
    await clock.advance(500);
    feed({ type: 'page.staged', page: 1, records: 100, attempts: 1, latencyMs: 50, totalPages: undefined });
    expect(term.frames().at(-1)!.line).toBe('fetching  pages 1/?  records 100  200.0 records/s (now 200)  retries 0  429s 0  ETA ?');
    expect(progress.snapshot().etaMs).toBeUndefined();
  });

  it('keeps a line within the terminal width and neutralises control characters', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock, 40);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('fetch\x1b[2Jing');
    feed(staged(1));
    await clock.advance(1000);
    progress.stop();
    for (const frame of term.frames()) {
      expect(frame.line.length).toBeLessThan(40);
      expect(frame.line).not.toContain('\x1b');
    }
  });

  it('stop() draws the final figures, ends the line, and ignores what comes after', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }), pagesAlreadyStaged: 3 });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed(staged(4, 1000, 5));
    feed(staged(5, 1000, 5));
    feed({ type: 'stream.completed', pages: 5, records: 5000 });
    progress.onState('writing');
    progress.stop();
    expect(term.writes.at(-1)!.text).toBe('\n');
    expect(term.frames().at(-1)!.line).toMatch(/^writing {2}pages 5\/5 {2}records 2,000 .* all pages staged$/);
    const count = term.writes.length;
    feed(staged(6));
    progress.stop();
    await clock.advance(1000);
    expect(term.writes).toHaveLength(count);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('the last line and the summary', () => {
  it("stop(final) shows the report's throughput, the summary's figure, and no windowed rate", async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed({ type: 'request.sent', page: 1 });
    await clock.advance(1000);
    feed(staged(1, 5800, 1));
    expect(term.frames().at(-1)!.line).toContain('5,800.0 records/s (now 5,800)');
    feed({ type: 'stream.completed', pages: 1, records: 5800 });
    progress.stop({ recordsPerSecond: 8996.04 });
    expect(term.frames().at(-1)!.line).toMatch(/ {2}8,996\.0 records\/s {2}.*all pages staged$/);
    expect(term.frames().at(-1)!.line).not.toContain('now');
  });

  it("stop(final) shows the run's status: a cancelled run's machine ends failed, its last line says cancelled", async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('ingesting.fetching');
    feed({ type: 'request.sent', page: 1 });
    await clock.advance(1000);
    feed(staged(1, 1000, 10));
    progress.onState('failed');
    progress.stop({ recordsPerSecond: 1000, status: 'cancelled' });
    expect(term.frames().at(-1)!.line).toMatch(/^cancelled {2}pages 1\/10 /);
  });
});

describe('a log line while the progress line is on screen', () => {
  it('clear() erases the line and redraw() puts the same line back; both do nothing once stopped', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const progress = createProgress({ stream: term.stream, clock, logger: pino({ level: 'silent' }) });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed(staged(1, 100, 3));
    const line = term.frames().at(-1)!.line;
    const before = term.writes.length;
    progress.clear();
    term.stream.write('[14:02:16.994] INFO: uploading\n');
    progress.redraw();
    expect(term.writes.slice(before).map((w) => w.text)).toEqual(['\r\x1b[K', '[14:02:16.994] INFO: uploading\n', `\r\x1b[K${line}`]);
    progress.stop();
    const after = term.writes.length;
    progress.clear();
    progress.redraw();
    expect(term.writes).toHaveLength(after);
  });
});

describe('createProgress without a TTY', () => {
  it('logs a progress line through pino at most every interval, and writes nothing to the stream', async () => {
    const clock = new SimulatedClock(0);
    const term = fakeTerminal(clock);
    const { logger, lines } = memoryLogger(clock);
    const progress = createProgress({ stream: term.stream, isTTY: false, clock, logger, intervalMs: 10_000 });
    const feed = feeder(progress);
    progress.onState('fetching');
    feed({ type: 'request.sent', page: 1 });
    for (let page = 1; page <= 30; page++) {
      await clock.advance(1000);
      feed(staged(page, 100, 40));
    }
    progress.stop();
    progress.stop();
    expect(term.writes).toEqual([]);
    // Periodic lines at 0, 10, 20 and 30 s, then stop()'s final line with the last page.
    expect(lines.map((l) => l.at)).toEqual([0, 10_000, 20_000, 30_000, 30_000]);
    const periodic = lines.slice(0, -1);
    for (let i = 1; i < periodic.length; i++) expect(periodic[i]!.at - periodic[i - 1]!.at).toBeGreaterThanOrEqual(10_000);
    const last = lines.at(-1)!.entry;
    expect(last).toMatchObject({
      level: 30,
      component: 'progress',
      msg: 'progress: fetching, pages 30/40, records 3,000, 100.0 records/s, retries 0, 429s 0, ETA 10s',
      progress: {
        state: 'fetching',
        pagesDone: 30,
        pagesTotal: 40,
        records: 3000,
        averageRecordsPerSecond: 100,
        recordsPerSecond: 100,
        etaMs: 10_000,
      },
    });
  });

  it('defaults to the stream: a non-TTY stream means log lines', () => {
    const clock = new SimulatedClock(0);
    const writes: string[] = [];
    const { logger, lines } = memoryLogger(clock);
    const progress = createProgress({ stream: { write: (t: string) => writes.push(t) }, clock, logger });
    const feed = feeder(progress);
    feed(staged(1));
    expect(writes).toEqual([]);
    expect(lines).toHaveLength(1);
    // Nothing changed since that line: stop() does not repeat it.
    progress.stop();
    expect(lines).toHaveLength(1);
  });
});

describe('progress options and ETA format', () => {
  it('rejects a non-positive interval, naming the option', () => {
    const clock = new SimulatedClock(0);
    for (const intervalMs of [0, -5, Number.NaN]) {
      expect(() => createProgress({ stream: { write: () => true }, clock, logger: pino({ level: 'silent' }), intervalMs })).toThrow(
        ConfigError,
      );
    }
    expect(() => createProgress({ stream: { write: () => true }, clock, logger: pino({ level: 'silent' }), rateWindowMs: 0 })).toThrow(
      /rateWindowMs/,
    );
  });

  it.each([
    [0, '0s'],
    [1, '1s'],
    [999, '1s'],
    [59_001, '1m 00s'],
    [65_000, '1m 05s'],
    [3_600_000, '1h 00m'],
    [7_384_000, '2h 03m'],
  ])('formatEta(%i) = %s', (ms, text) => {
    expect(formatEta(ms)).toBe(text);
  });
});
