import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { RunLockedError, StagingError, StagingStore, recordSecrets, type StagePageInput } from '../../src/staging/index.js';
import { pino } from 'pino';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { realClock } from '../../src/runtime/clock.js';
import { spawnChild } from './fixtures/spawnChild.js';
import { busyClock } from './fixtures/busyClock.js';
import { page } from './fixtures/stagePageInput.js';
import { stagingSchemaSql } from '../../src/staging/stagingSchema.js';

let dir: string;
const opened: StagingStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'staging-'));
});
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(runId = 'run-1', extra: { options?: Record<string, string | number> } = {}): Promise<StagingStore> {
  const store = await StagingStore.open({
    path: join(dir, 'staging', `${runId}.duckdb`),
    runId,
    memoryLimit: '256MB',
    threads: 1,
    ...extra,
  });
  opened.push(store);
  return store;
}

const customers = (from: number, count: number): { id: number; name: string }[] =>
  Array.from({ length: count }, (_, i) => ({ id: from + i, name: `customer ${from + i}` }));

/** Stages `pages` pages of 100 records with a 10 KB field each: about 1 MB a page. */
async function stageWidePages(store: StagingStore, pages: number): Promise<void> {
  for (let p = 1; p <= pages; p++)
    await store.stagePage(
      page(
        p,
        Array.from({ length: 100 }, (_, i) => ({ id: p * 1000 + i, text: 'x'.repeat(10_000) })),
      ),
    );
}

/** SQL for the memory limit and the threads in effect, as `3.8 MiB 2`. */
const limitAndThreads = "current_setting('memory_limit') || ' ' || current_setting('threads')";

/** SQL failing with DuckDB's own out-of-memory message when `condition` holds, else giving `value`. */
const outOfMemoryWhen = (condition: string, value: string): string =>
  `SELECT CASE WHEN ${condition} THEN error('Out of Memory Error: failed to allocate') ELSE ${value} END`;

/** Reads the database file directly (after the store is closed) to see what is really committed. */
async function rawRows(path: string): Promise<{ page: number; seq: number; key: string | null; record: string }[]> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll('SELECT page, seq, key, record::VARCHAR AS record FROM raw_records ORDER BY page, seq');
  const rows = reader.getRowObjectsJS() as { page: number; seq: number; key: string | null; record: string }[];
  conn.closeSync();
  instance.closeSync();
  return rows;
}

describe('StagingStore', () => {
  it('stages pages with lineage and exact raw JSON text, and reports checkpoints and counts', async () => {
    const store = await open();
    const raw = ['{"id": 1, "big": 123456789012345678901234567890}', '{"id":2,"name":"Zoë 😀"}'];
    await store.stagePage(
      page(
        1,
        raw.map((r) => JSON.parse(r) as unknown),
        { rawRecords: raw, nextCursor: 'cur-1' },
      ),
    );
    await store.stagePage(
      page(2, [{ id: 2, name: 'again' }, { name: 'no key' }, { id: 'x1' }, { id: 1.5 }], { nextCursor: null, attempts: 3 }),
    );
    expect(await store.committedPages()).toEqual([1, 2]);
    expect(await store.lastCheckpoint()).toEqual({ page: 2, nextCursor: null });
    expect(await store.counts()).toEqual({ pages: 2, records: 6, keyed: 4, uniqueKeys: 3, duplicates: 1, unkeyed: 2, refused: 0 });
    await store.close();
    const rows = await rawRows(store.path);
    expect(rows.map((r) => [r.page, r.seq, r.key])).toEqual([
      [1, 0, '1'],
      [1, 1, '2'],
      [2, 0, '2'],
      [2, 1, null],
      [2, 2, 'x1'],
      [2, 3, null],
    ]);
    // The JSON column keeps the text as received: spacing and digits beyond 2^53 included.
    expect(rows[0]?.record).toBe(raw[0]);
    expect(rows[1]?.record).toBe(raw[1]);
  });

  it('stages records given as text with their keys (a page stream with keepRawRecords): the keys as given, masking aside', async () => {
    const store = await open();
    const { records: _records, ...fields } = page(1, []);
    const rawRecords = ['{"id":1,"n":"a"}', '{"id":9007199254740993}', '{"id":3,"token":"s3cr3t-value"}', '{"n":"no key"}'];
    // Keys as recordKey gives them: none for an id beyond 2^53. Staging takes them as they are.
    const keys = ['1', null, '3', null];
    const secrets = recordSecrets(['s3cr3t-value'], true)!;
    const limits = { maxRecordBytes: 1000, maxRecordDepth: 3, maxRecordKeys: 5 };
    expect(await store.stagePages([{ ...fields, rawRecords, keys, rawRecordsParsed: true, limits, secrets }])).toEqual([
      { page: 1, staged: true, records: 4 },
    ]);
    expect(await store.counts()).toMatchObject({ pages: 1, records: 4, keyed: 2, unkeyed: 2 });
    await store.close();
    const rows = await rawRows(store.path);
    expect(rows.map((r) => [r.seq, r.key])).toEqual([
      [0, '1'],
      [1, null],
      [2, '3'],
      [3, null],
    ]);
    expect(rows[1]?.record).toBe(rawRecords[1]);
    expect(rows[2]?.record).not.toContain('s3cr3t-value');
  });

  it('refuses a record past its limits or poison to DuckDB: staged as a JSON string of its exact text, without a key, with its reason', async () => {
    const store = await open();
    const limits = { maxRecordBytes: 1000, maxRecordDepth: 3, maxRecordKeys: 5 };
    const raw = ['{"id":1,"a":[[[1]]]}', '{"id":2,"a":[[1]]}', '{"id":3,"s":"\\udc00"}', '{"id":4,"*":1}'];
    await store.stagePage(page(1, [...raw.map((r) => JSON.parse(r) as unknown)], { rawRecords: raw, limits }));
    expect(await store.counts()).toMatchObject({ records: 4, keyed: 1, unkeyed: 0, refused: 3 });
    const refused = await store.readStaged('read the refusals', (staged) =>
      staged.query(`SELECT seq, key, refused, record::VARCHAR FROM ${staged.records} ORDER BY seq`),
    );
    expect(refused).toEqual([
      [0, null, 'record nested deeper than maxRecordDepth 3', JSON.stringify(raw[0])],
      [1, '2', null, raw[1]],
      [2, null, 'lone surrogate escape \\udc00 in a string', JSON.stringify(raw[2])],
      [3, null, 'field name "*" cannot be a column', JSON.stringify(raw[3])],
    ]);
  });

  it('does not search the records of a page whose body the caller found free of the secrets (secretsFree)', async () => {
    const store = await open();
    const { records: _records, ...fields } = page(1, []);
    const secrets = recordSecrets(['s3cr3t-value'], true)!;
    const rawRecords = ['{"id":1,"token":"s3cr3t-value"}'];
    // Told wrongly that its body holds none, staging takes the record as it is: the flag alone decides.
    await store.stagePages([{ ...fields, rawRecords, keys: ['1'], secrets, secretsFree: true }]);
    await store.stagePages([{ ...fields, page: 2, rawRecords, keys: ['1'], secrets, secretsFree: false }]);
    const rows = await store.readStaged('read the records', (staged) =>
      staged.query(
        `SELECT page, record::VARCHAR, (SELECT count(*) FROM ${staged.secrets} s WHERE s.page = r.page) FROM ${staged.records} r ORDER BY page`,
      ),
    );
    expect(rows).toEqual([
      [1, rawRecords[0], 0n],
      [2, '{"id":1,"token":"[REDACTED]"}', 1n],
    ]);
  });

  it('takes the refusals a caller found as the page arrived, but checks again a record whose secret it masked', async () => {
    const store = await open();
    const { records: _records, ...fields } = page(1, []);
    const rawRecords = ['{"id":1}', '{"id":2}', '{"id":3,"token":"s3cr3t-value"}'];
    const limits = { maxRecordBytes: 1000, maxRecordDepth: 3, maxRecordKeys: 5 };
    const refusals = ['refused as it arrived', undefined, 'refused before its secret was masked'];
    const secrets = recordSecrets(['s3cr3t-value'], true)!;
    await store.stagePages([{ ...fields, rawRecords, keys: ['1', '2', '3'], refusals, rawRecordsParsed: true, limits, secrets }]);
    const rows = await store.readStaged('read the refusals', (staged) =>
      staged.query(`SELECT seq, key, refused FROM ${staged.records} ORDER BY seq`),
    );
    expect(rows).toEqual([
      [0, null, 'refused as it arrived'],
      [1, '2', null],
      [2, '3', null],
    ]);
  });

  it('commits a page and its checkpoint together: a page that fails halfway leaves nothing behind', async () => {
    const store = await open();
    await store.stagePage(page(1, customers(1, 5)));
    // The third record cannot be serialised: rows 0 and 1 are already appended when it throws.
    const poisoned = [...customers(6, 2), { id: 8, amount: 1n }, ...customers(9, 2)];
    await expect(store.stagePage(page(2, poisoned))).rejects.toBeInstanceOf(StagingError);
    await expect(store.stagePage(page(3, customers(20, 2), { rawRecords: ['{"id":20}', '{"id": 21, broken'] }))).rejects.toThrow(
      /not valid JSON/,
    );
    expect(await store.committedPages()).toEqual([1]);
    expect(await store.counts()).toMatchObject({ pages: 1, records: 5 });
    // The failed page can be staged again once its data is good.
    expect(await store.stagePage(page(2, customers(6, 5)))).toEqual({ page: 2, staged: true, records: 5 });
    await store.close();
    const rows = await rawRows(store.path);
    expect(rows.map((r) => r.key)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  });

  it('treats staging a committed page again as a no-op', async () => {
    const store = await open();
    expect(await store.stagePage(page(1, customers(1, 3)))).toEqual({ page: 1, staged: true, records: 3 });
    expect(await store.stagePage(page(1, customers(100, 7)))).toEqual({ page: 1, staged: false, records: 3 });
    expect(await store.counts()).toMatchObject({ pages: 1, records: 3, uniqueKeys: 3 });
    // The refused page's rows went with its transaction; the next page stages as usual.
    expect(await store.stagePage(page(2, customers(4, 2)))).toEqual({ page: 2, staged: true, records: 2 });
    await store.close();
    expect((await rawRows(store.path)).map((r) => r.key)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('stages several pages in one transaction: all commit, a committed one is left as it is, one bad page takes the batch with it', async () => {
    const store = await open();
    await store.stagePage(page(2, customers(20, 2)));
    expect(await store.stagePages([page(1, customers(1, 3)), page(2, customers(90, 5)), page(3, customers(30, 1))])).toEqual([
      { page: 1, staged: true, records: 3 },
      { page: 2, staged: false, records: 2 },
      { page: 3, staged: true, records: 1 },
    ]);
    // Text not cut from a parsed body is checked; one bad record rolls back every page of the batch.
    const bad = page(5, customers(50, 1), { rawRecords: ['{"id": 50, broken'] });
    await expect(store.stagePages([page(4, customers(40, 2)), bad])).rejects.toThrow(/page 5 record 0 is not valid JSON/);
    await expect(store.stagePages([page(6, customers(60, 1)), page(6, customers(60, 1))])).rejects.toThrow(/page 6 is given twice/);
    expect(await store.committedPages()).toEqual([1, 2, 3]);
    await store.close();
    expect((await rawRows(store.path)).map((r) => r.key)).toEqual(['1', '2', '3', '20', '21', '30']);
  });

  it('times the transactions that commit on its clock: appending records, their checkpoint rows, committing', async () => {
    // A clock that moves 5 ms each time it is read: every part of a transaction reads it.
    let t = 0;
    const stepping = { ...realClock, now: () => (t += 5) };
    const store = await StagingStore.open({ path: join(dir, 'timed.duckdb'), runId: 'timed' }, { clock: stepping });
    opened.push(store);
    expect(store.stagingTime).toEqual({ transactions: 0, appendMs: 0, checkpointMs: 0, commitMs: 0 });
    await store.stagePage(page(1, customers(1, 3)));
    const first = store.stagingTime;
    expect(first.transactions).toBe(1);
    for (const ms of [first.appendMs, first.checkpointMs, first.commitMs]) expect(ms % 5 === 0 && ms > 0).toBe(true);
    // Page 1 again: the batch is refused by the pages' key and staged once more without it, one commit.
    await store.stagePages([page(1, customers(1, 3)), page(2, customers(4, 3))]);
    // A batch that rolls back costs time but commits nothing: it is not counted.
    await expect(store.stagePages([page(3, customers(7, 1), { rawRecords: ['{"id": 7, broken'] })])).rejects.toThrow(/not valid JSON/);
    const second = store.stagingTime;
    expect(second.transactions).toBe(2);
    expect(second.appendMs).toBeGreaterThan(first.appendMs);
    expect(second.commitMs).toBeGreaterThan(first.commitMs);
  });

  it('serialises concurrent stagePage calls on its one connection', async () => {
    const store = await open();
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => store.stagePage(page(n, customers(n * 10, 10)))));
    expect(results.every((r) => r.staged)).toBe(true);
    expect(await store.committedPages()).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await store.counts()).records).toBe(60);
  });

  it('keeps committed pages and what was recorded after them across a kill -9 of the process, and resumes from the checkpoint', async () => {
    const path = join(dir, 'crash.duckdb');
    const child = spawnChild('crash', path, 'crashed');
    expect(await child.firstLine).toBe('staged');
    expect((await child.exited).signal).toBe('SIGKILL');
    expect(existsSync(`${path}.lock`)).toBe(true); // left behind by the dead process: stale
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) });
    const store = await StagingStore.open({ path, runId: 'crashed' }, { clock: realClock, logger });
    opened.push(store);
    expect(logged.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { level: 40, component: 'staging', runId: 'crashed', msg: 'took over the stale run lock of a process that is gone' },
    ]);
    expect(await store.committedPages()).toEqual([1, 2, 3]);
    expect(await store.lastCheckpoint()).toEqual({ page: 3, nextCursor: 'c3' });
    expect(await store.counts()).toMatchObject({ records: 150, uniqueKeys: 150 });
    expect((await store.runState()).output).toMatchObject({ path: '/out/data.parquet', rows: 150 });
    expect((await store.stagePage(page(4, customers(151, 10)))).staged).toBe(true);
  });

  it("runs its other work outside staging's transactions: a commit begins the next batch's, which ends first", async () => {
    const store = await open();
    const txid = async (): Promise<unknown> =>
      (await store.readStaged('read the transaction', (s) => s.query('SELECT txid_current()')))[0]?.[0];
    for (const n of [1, 2]) {
      await store.stagePage(page(n, customers(n * 10, 10)));
      // Each statement of work outside staging commits on its own (a shared open transaction would give one id).
      expect(await txid()).not.toEqual(await txid());
    }
    expect(await store.committedPages()).toEqual([1, 2]);
    expect((await store.stagePage(page(3, customers(30, 10)))).staged).toBe(true);
    await store.close();
    expect((await rawRows(join(dir, 'staging', 'run-1.duckdb'))).length).toBe(30);
  });

  it('refuses a second opener of the same run, in this process and in another', async () => {
    const store = await open('locked');
    await expect(open('locked')).rejects.toThrow(new RegExp(`run locked is already in progress \\(pid ${process.pid}\\)`));
    const child = spawnChild('hold', store.path, 'locked');
    // The child gets the refusal (and exits non-zero) while we hold the run.
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    await store.close();
    expect(existsSync(`${store.path}.lock`)).toBe(false);
  });

  it('names the pid of another process holding the run, and takes over once it is gone', async () => {
    const path = join(dir, 'held.duckdb');
    const child = spawnChild('hold', path, 'held');
    const line = await child.firstLine;
    const pid = Number(line.split(' ')[1]);
    const refused = await StagingStore.open({ path, runId: 'held' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as RunLockedError).pid).toBe(pid);
    expect((refused as Error).message).toBe(
      `run held is already in progress (pid ${pid}): wait for it to finish, or stop it; if no such process exists, delete ${path}.lock`,
    );
    child.process.kill('SIGKILL');
    await child.exited;
    const store = await StagingStore.open({ path, runId: 'held' });
    opened.push(store);
    expect(await store.committedPages()).toEqual([]);
  });

  it("turns DuckDB's own file lock (held by a process without our lock file) into a RunLockedError", async () => {
    const path = join(dir, 'raw.duckdb');
    const child = spawnChild('duckdb', path, 'raw');
    const pid = Number((await child.firstLine).split(' ')[1]);
    const refused = await StagingStore.open({ path, runId: 'raw' }).catch((e: unknown) => e);
    child.process.stdin?.end();
    await child.exited;
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as RunLockedError).pid).toBe(pid);
    expect((refused as RunLockedError).cause).toBeInstanceOf(Error);
    expect(String((refused as { cause: Error }).cause.message)).toMatch(/Could not set lock on file/);
    expect((refused as Error).message).toBe(`run raw is already in progress (pid ${pid}): wait for it to finish, or stop it`);
    expect(existsSync(`${path}.lock`)).toBe(false); // our lock file is not left behind
  });

  it('remembers where the run got to, and refuses a resume with other options', async () => {
    const options = { format: 'parquet', pageSize: 1000, endpoint: '/customers' };
    const first = await open('steps', { options });
    expect(await first.runState()).toMatchObject({ runId: 'steps', status: 'running', options, output: null, upload: null });
    await first.recordOutput({
      path: '/data/out.parquet',
      format: 'parquet',
      rows: 10,
      bytes: 1234,
      sha256: 'ab'.repeat(32),
      crc32c: '4waSgw==',
    });
    await first.recordUpload({ uri: 's3://bucket/key.parquet', etag: '"e"' });
    await first.markFinished();
    await first.close();
    opened.length = 0;
    await expect(open('steps', { options: { ...options, format: 'csv', pageSize: 500 } })).rejects.toThrow(
      'run steps was started with other options (--format parquet then, csv now; --page-size 1000 then, 500 now): ' +
        'resume it with the same options, or start a new run with --run-id <new id>',
    );
    const again = await open('steps', { options });
    const state = await again.runState();
    expect(state).toMatchObject({
      status: 'finished',
      output: { path: '/data/out.parquet', format: 'parquet', rows: 10, bytes: 1234, crc32c: '4waSgw==' },
      upload: { uri: 's3://bucket/key.parquet', etag: '"e"' },
    });
    expect(state.finishedAt).not.toBeNull();
  });

  it('is tracked by a simulated clock: virtual time does not move while DuckDB works', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const store = await StagingStore.open({ path: join(dir, 'sim.duckdb'), runId: 'sim' }, { clock });
    opened.push(store);
    const firedDuringStaging = await clock.run(async () => {
      let fired = false;
      clock.setTimeout(() => (fired = true), 1);
      await store.stagePage(page(1, customers(1, 2000)));
      await store.counts();
      return fired;
    });
    expect(firedDuringStaging).toBe(false);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    // Its own time is on that clock too: none passed.
    expect(store.stagingTime).toEqual({ transactions: 1, appendMs: 0, checkpointMs: 0, commitMs: 0 });
  });

  it('applies the DuckDB memory limit, thread count and spill directory it is given', async () => {
    const spill = join(dir, 'spill');
    const store = await StagingStore.open({
      path: join(dir, 'tuned.duckdb'),
      runId: 'tuned',
      memoryLimit: '128MB',
      threads: 1,
      tempDirectory: spill,
    });
    opened.push(store);
    const settings = await store.readStaged('read settings', async (staged) => {
      const [row] = await staged.query(
        "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, current_setting('temp_directory') AS d",
      );
      const [m, t, d] = row ?? [];
      return { m, t, d };
    });
    expect(settings).toEqual({ m: '122.0 MiB', t: 1n, d: spill });
  });

  it('reliability row 28: opens with settings that keep memory flat (one thread unless told), spilling beside the database by default', async () => {
    const path = join(dir, 'flat.duckdb');
    const store = await StagingStore.open({ path, runId: 'flat' });
    opened.push(store);
    const settings = await store.readStaged('read settings', async (staged) => {
      const [row] = await staged.query(
        "SELECT current_setting('preserve_insertion_order') AS o, current_setting('allocator_flush_threshold') AS f, current_setting('allocator_background_threads') AS b, current_setting('threads') AS t, current_setting('temp_directory') AS d",
      );
      const [o, f, b, t, d] = row ?? [];
      return { o, f, b, t, d };
    });
    expect(settings).toEqual({ o: false, f: '15.2 MiB', b: true, t: 1n, d: `${path}.tmp` });
  });

  it('reliability row 28: stages under half the memory limit and reads under all of it; a batch that does not fit is staged again under more', async () => {
    const notes: { level: number; msg: string; memoryLimit?: string; retryWith?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void notes.push(JSON.parse(line) as (typeof notes)[number]) });
    const store = await StagingStore.open(
      { path: join(dir, 'half.duckdb'), runId: 'half', memoryLimit: '8MB' },
      { clock: realClock, logger },
    );
    opened.push(store);
    await store.stagePage(page(1, customers(1, 3)));
    expect(notes.filter((n) => /memory/.test(n.msg))).toEqual([]);
    // 2 MB of records in one transaction: more than DuckDB has for them under 4 MB.
    const wide = Array.from({ length: 200 }, (_, i) => ({ id: 100 + i, text: 'x'.repeat(10_000) }));
    expect(await store.stagePage(page(2, wide))).toEqual({ page: 2, staged: true, records: 200 });
    expect(notes.find((n) => /memory/.test(n.msg))).toMatchObject({
      level: 20,
      memoryLimit: '4MB',
      retryWith: '8MB',
      msg: 'DuckDB ran out of memory to stage page 2: staging it again, and the pages after it, under the whole limit',
    });
    const after = await store.readStaged('read the limit and the records', async (staged) => {
      const [row] = await staged.query("SELECT current_setting('memory_limit'), (SELECT count(*) FROM raw_records)");
      return row?.map(String);
    });
    expect(after).toEqual(['7.6 MiB', '203']);
  });

  it('reliability row 28: a scan runs on the scan threads, under half the memory limit once the database outgrew it; the rest as before', async () => {
    const settings = "SELECT current_setting('memory_limit'), current_setting('threads')";
    const seen = async (memoryLimit: string, pages: number): Promise<(string[] | undefined)[]> => {
      const path = join(dir, `scan-${memoryLimit}.duckdb`);
      const store = await StagingStore.open({ path, runId: 'scan', memoryLimit, threads: 1, scanThreads: 2 });
      opened.push(store);
      await stageWidePages(store, pages);
      return store.readStaged('read the settings', async (staged) => {
        const during = await staged.scan(settings);
        const after = await staged.query(settings);
        return [during, after].map((rows) => rows[0]?.map(String));
      });
    };
    // 8 pages of 1 MB: a database larger than 4 MB, smaller than 64 MB.
    expect(await seen('4MB', 8)).toEqual([
      ['1.9 MiB', '2'],
      ['3.8 MiB', '1'],
    ]);
    // Outgrown from half the limit on: what a scan holds grows with the records, not with the file.
    expect(await seen('12MB', 8)).toEqual([
      ['5.7 MiB', '2'],
      ['11.4 MiB', '1'],
    ]);
    expect(await seen('64MB', 8)).toEqual([
      ['61.0 MiB', '2'],
      ['61.0 MiB', '1'],
    ]);
  });

  /** The rows of `query` over `segments`, the stored segments of the records' text, after a checkpoint. */
  const recordSegments = (store: StagingStore, query: string): Promise<unknown[][]> =>
    store.readStaged('read how the records are stored', async (staged) => {
      await staged.run('CHECKPOINT');
      return staged.query(`WITH segments AS (SELECT * FROM pragma_storage_info('raw_records') WHERE column_name = 'record') ${query}`);
    });

  it('reliability row 28: stores raw records in row groups of 16,384 rows, whose checkpoints stay small', async () => {
    const store = await open();
    await store.stagePage(page(1, customers(1, 20_000)));
    await store.stagePage(page(2, customers(20_001, 20_000)));
    const groups = await recordSegments(store, 'SELECT row_group_id, max(count) AS n FROM segments GROUP BY ALL ORDER BY 1');
    expect(groups.map(([, n]) => Number(n))).toEqual([16_384, 16_384, 7_232]);
  });

  /** The compression of the records' text in its stored segments. */
  const recordCompression = async (store: StagingStore): Promise<string[]> =>
    (await recordSegments(store, "SELECT DISTINCT compression FROM segments WHERE segment_type <> 'VALIDITY' ORDER BY 1")).map(([c]) =>
      String(c),
    );

  it('reliability row 28: stores the records’ text compressed with zstd', async () => {
    const store = await open();
    await store.stagePage(page(1, customers(1, 20_000)));
    expect(await recordCompression(store)).toEqual(['ZSTD']);
  });

  it('opens a staging file made before zstd (DuckDB’s default storage): its table keeps DuckDB’s own compression, and staging goes on', async () => {
    const path = join(dir, 'staging', 'old.duckdb');
    mkdirSync(dirname(path), { recursive: true });
    const old = await DuckDBInstance.create(path);
    const conn = await old.connect();
    await conn.run(stagingSchemaSql.replace(' USING COMPRESSION zstd', ''));
    conn.closeSync();
    old.closeSync();
    const store = await StagingStore.open({ path, runId: 'old', memoryLimit: '256MB', threads: 1 });
    opened.push(store);
    await store.stagePage(page(1, customers(1, 20_000)));
    await store.stagePage(page(2, customers(20_001, 5)));
    expect(await store.counts()).toMatchObject({ pages: 2, records: 20_005, uniqueKeys: 20_005 });
    expect(await recordCompression(store)).not.toContain('ZSTD');
  });

  it('reliability row 28: releaseMemory reopens the database with its settings, keeping the run lock, the data and the appender working', async () => {
    const spill = join(dir, 'spill');
    const path = join(dir, 'release.duckdb');
    const store = await StagingStore.open({ path, runId: 'release', memoryLimit: '128MB', tempDirectory: spill });
    opened.push(store);
    await store.stagePage(page(1, customers(1, 3)));
    // A temp table lives in the instance: its absence afterwards proves a fresh instance.
    await store.readStaged('make a temp table', (staged) => staged.run('CREATE TEMP TABLE held AS SELECT 1 AS x'));
    await store.releaseMemory();
    const after = await store.readStaged('read the instance', async (staged) => {
      const [row] = await staged.query(
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = 'held') AS held, current_setting('memory_limit') AS m, current_setting('temp_directory') AS d, current_setting('threads') AS t",
      );
      const [held, m, d, t] = row ?? [];
      return { held, m, d, t };
    });
    expect(after).toEqual({ held: 0n, m: '122.0 MiB', d: spill, t: 1n });
    await expect(StagingStore.open({ path, runId: 'release' })).rejects.toBeInstanceOf(RunLockedError);
    await store.stagePage(page(2, customers(4, 2)));
    expect(await store.counts()).toMatchObject({ pages: 2, records: 5, uniqueKeys: 5 });
    await store.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  /** A store at `<name>.duckdb` under a limit of 4 MB, one thread, and two for its scans. */
  async function openTwoScanThreads(name: string, runId: string): Promise<StagingStore> {
    const store = await StagingStore.open({ path: join(dir, `${name}.duckdb`), runId, memoryLimit: '4MB', threads: 1, scanThreads: 2 });
    opened.push(store);
    return store;
  }

  /** A store of run `runId` under `memoryLimit`, and the warnings it logs. */
  async function openLogged(
    runId: string,
    memoryLimit: string,
  ): Promise<{ store: StagingStore; logged: { msg: string; retryWith?: string }[] }> {
    const logged: { msg: string; retryWith?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string }) });
    // Staging that fills the time: no idle work, which would fold a log the replay test needs kept.
    const store = await StagingStore.open({ path: join(dir, `${runId}.duckdb`), runId, memoryLimit }, { clock: busyClock(), logger });
    opened.push(store);
    return { store, logged };
  }

  it('runs work that ran out of memory again with twice and four times the limit, then fails naming the option', async () => {
    const { store, logged } = await openLogged('more', '64MB');
    const limit = "current_setting('memory_limit')";
    const read = (sql: string) => store.readStaged('read the limit', async (staged) => (await staged.query(sql))[0]?.[0]);
    expect(await read(outOfMemoryWhen(`${limit} <> '244.1 MiB'`, limit))).toBe('244.1 MiB');
    expect(logged.map((l) => l.retryWith)).toEqual(['128MB', '256MB']);
    await expect(read(outOfMemoryWhen('true', limit))).rejects.toThrow(
      new StagingError(
        'DuckDB ran out of memory to read the limit under a memory limit of 256MB: raise --duckdb-memory-limit (Invalid Input Error: Out of Memory Error: failed to allocate)',
      ),
    );
    expect(await store.readStaged('read the limit again', async (staged) => (await staged.query(`SELECT ${limit}`))[0]?.[0])).toBe(
      '61.0 MiB',
    );
  });

  it('reopens a database whose log holds a record larger than the memory limit leaves free, with more memory for the replay', async () => {
    const { store, logged } = await openLogged('replay', '64MB');
    await store.stagePage(page(1, [{ id: 1 }]));
    const pad = 'x'.repeat(33 * 2 ** 20);
    await store.stagePage(page(2, [{ id: 2, pad }]));
    // Replaying that commit under 64 MB failed: "could not allocate block of size 33.0 MiB".
    await store.releaseMemory();
    expect(logged.map((l) => l.msg)).toContain(
      'DuckDB ran out of memory to open the staging database; trying again with a memory limit of 128MB (a larger --duckdb-memory-limit avoids the retry)',
    );
    const back = await store.readStaged('read the records', async (staged) =>
      (await staged.query(`SELECT length(record::VARCHAR), current_setting('memory_limit') FROM ${staged.records} ORDER BY page`)).map(
        (row) => row.map(String),
      ),
    );
    expect(back).toEqual([
      ['8', '61.0 MiB'],
      [String(JSON.stringify({ id: 2, pad }).length), '61.0 MiB'],
    ]);
  });

  it('runs the scans that fold the records into a small state on its scan threads, and the rest on its one thread', async () => {
    const store = await StagingStore.open({ path: join(dir, 'scan.duckdb'), runId: 'scan', threads: 1, scanThreads: 3 });
    opened.push(store);
    const threads = "SELECT current_setting('threads')";
    const seen = await store.readStaged('read threads', async (staged) => {
      const scan = (await staged.scan(threads))[0]?.[0];
      const after = (await staged.query(threads))[0]?.[0];
      await expect(staged.scan('SELECT nope')).rejects.toThrow(/nope/);
      return { scan, after, afterError: (await staged.query(threads))[0]?.[0] };
    });
    expect(seen).toEqual({ scan: 3n, after: 1n, afterError: 1n });
  });

  it('a scan out of memory on its scan threads runs again on the one thread, and so do the later scans', async () => {
    const store = await StagingStore.open({ path: join(dir, 'oom.duckdb'), runId: 'oom', threads: 1, scanThreads: 3 });
    opened.push(store);
    // DuckDB's own message for an allocation over the limit, raised only where more than one thread scans.
    const scan = outOfMemoryWhen("current_setting('threads') > 1", "current_setting('threads')");
    const first = await store.readStaged('scan', async (staged) => [
      (await staged.scan(scan))[0]?.[0],
      (await staged.query("SELECT current_setting('threads')"))[0]?.[0],
    ]);
    expect(first).toEqual([1n, 1n]);
    const later = await store.readStaged('scan again', async (staged) => (await staged.scan("SELECT current_setting('threads')"))[0]?.[0]);
    expect(later).toBe(1n);
    // Other errors are the scan's own: no second try.
    await expect(store.readStaged('fail', (staged) => staged.scan("SELECT error('bad input')"))).rejects.toThrow(/bad input/);
  });

  it('a scan out of memory under the streaming limit runs again on its scan threads under the whole limit, and so do the later scans', async () => {
    const store = await openTwoScanThreads('oom-limit', 'oom');
    // 8 pages of 1 MB: a database larger than the limit, so scans start under half of it.
    await stageWidePages(store, 8);
    const scan = outOfMemoryWhen("current_setting('memory_limit') = '1.9 MiB'", limitAndThreads);
    const seen = await store.readStaged('scan', async (staged) => [
      (await staged.scan(scan))[0]?.[0],
      (await staged.scan(`SELECT ${limitAndThreads}`))[0]?.[0],
      (await staged.query(`SELECT ${limitAndThreads}`))[0]?.[0],
    ]);
    expect(seen).toEqual(['3.8 MiB 2', '3.8 MiB 2', '3.8 MiB 1']);
    // Out of memory there too: the store's thread, for good.
    const threads = outOfMemoryWhen("current_setting('threads') > 1", "current_setting('threads')");
    const plain = await store.readStaged('scan on fewer threads', async (staged) => [
      (await staged.scan(threads))[0]?.[0],
      (await staged.scan("SELECT current_setting('threads')"))[0]?.[0],
    ]);
    expect(plain).toEqual([1n, 1n]);
  });

  it('reliability row 28: a COPY to a file runs on the scan threads while the database fits in the memory limit, then under three quarters of it, on the scan threads where they fit; out of memory, on one thread under the whole', async () => {
    const file = join(dir, 'copied.csv');
    const copier = (store: StagingStore) => (sql: string) =>
      store.readStaged('copy', async (staged) => {
        await staged.copy(`COPY (${sql}) TO '${file}' (FORMAT csv, HEADER false)`);
        return [readFileSync(file, 'utf8').trim(), String((await staged.query(`SELECT ${limitAndThreads}`))[0]?.[0])];
      });
    const threadsOom = outOfMemoryWhen("current_setting('threads') > 1", limitAndThreads);
    const small = copier(await openTwoScanThreads('copy', 'copy'));
    expect(await small(`SELECT ${limitAndThreads}`)).toEqual(['3.8 MiB 2', '3.8 MiB 1']);
    expect(await small(threadsOom)).toEqual(['3.8 MiB 1', '3.8 MiB 1']);
    // 8 pages of 1 MB: a database larger than the limit.
    const store = await openTwoScanThreads('copy-large', 'copy');
    await stageWidePages(store, 8);
    const large = copier(store);
    expect(await large(`SELECT ${limitAndThreads}`)).toEqual(['2.8 MiB 2', '3.8 MiB 1']);
    expect(await large(threadsOom)).toEqual(['2.8 MiB 1', '3.8 MiB 1']);
    // Its scans still use the scan threads: the COPY's own buffers did not fit there.
    expect(await store.readStaged('scan', async (staged) => (await staged.scan("SELECT current_setting('threads')"))[0]?.[0])).toBe(2n);
    const limitOom = outOfMemoryWhen("current_setting('memory_limit') = '2.8 MiB'", limitAndThreads);
    expect(await large(limitOom)).toEqual(['3.8 MiB 1', '3.8 MiB 1']);
    await expect(large("SELECT error('bad input')")).rejects.toThrow(/bad input/);
  });

  it('validates its options and inputs with errors that name them', async () => {
    await expect(StagingStore.open({ path: join(dir, 'x.duckdb'), runId: 'bad id!' })).rejects.toThrow(/"runId"/);
    await expect(StagingStore.open({ path: join(dir, 'x.duckdb'), runId: 'x', scanThreads: 0 })).rejects.toThrow(/"scanThreads"/);
    const store = await open();
    await expect(store.stagePage(page(0, []))).rejects.toThrow(/"page"/);
    await expect(store.stagePage(page(1, [{ id: 1 }], { rawRecords: [] }))).rejects.toThrow(/"rawRecords" has 0 entries for 1 records/);
    const { records: _records, ...fields } = page(1, []);
    const text = (rawRecords: unknown, keys: unknown): StagePageInput => ({ ...fields, rawRecords, keys }) as StagePageInput;
    await expect(store.stagePage(text(['{"id":1}'], undefined))).rejects.toThrow(/"records" must be an array, or "rawRecords" and "keys"/);
    await expect(store.stagePage(text(['{"id":1}'], ['1', '2']))).rejects.toThrow(/"keys" has 2 entries for 1 records/);
    await expect(store.stagePage(text('{"id":1}', ['1']))).rejects.toThrow(/"records" must be an array, or "rawRecords" and "keys"/);
    expect(await store.committedPages()).toEqual([]);
    await expect(store.stagePage(page(1, [], { attempts: 0 }))).rejects.toThrow(/"attempts"/);
  });
});
