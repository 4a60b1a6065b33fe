import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { paceMemory } from '../../src/ingestion/paceMemory.js';

const day = 24 * 3600 * 1000;

async function memoryAt(now: { t: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'pace-'));
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  return { dir, lines, memory: paceMemory(dir, () => now.t, logger) };
}

describe('paceMemory', () => {
  it('recalls what was kept for the same origin only, for 30 days', async () => {
    const now = { t: Date.UTC(2026, 11, 5) };
    const { memory } = await memoryAt(now);
    expect(await memory.recall('https://api.example.com')).toBeUndefined();
    await memory.keep('https://api.example.com', { ceiling: 9.8 });
    await memory.keep('http://127.0.0.1:8080', { accepted: 400 });
    expect(await memory.recall('https://api.example.com')).toEqual({ ceiling: 9.8, learnedAt: '2026-12-05T00:00:00.000Z' });
    expect(await memory.recall('http://127.0.0.1:8080')).toMatchObject({ accepted: 400 });
    expect(await memory.recall('https://other.example.com')).toBeUndefined();
    now.t += 30 * day;
    expect(await memory.recall('https://api.example.com')).toBeDefined();
    now.t += 1;
    expect(await memory.recall('https://api.example.com')).toBeUndefined();
  });

  it('keeps the latest 100 origins', async () => {
    const now = { t: Date.UTC(2026, 11, 5) };
    const { dir, memory } = await memoryAt(now);
    for (let i = 0; i < 105; i++) {
      now.t += 1000;
      await memory.keep(`http://127.0.0.1:${10_000 + i}`, { ceiling: i + 1 });
    }
    const kept = JSON.parse(await readFile(join(dir, 'pace.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(kept)).toHaveLength(100);
    expect(await memory.recall('http://127.0.0.1:10004')).toBeUndefined();
    expect(await memory.recall('http://127.0.0.1:10005')).toMatchObject({ ceiling: 6 });
  });

  it('a damaged file is a warning and forgotten, never a failure; entries that are no pace are skipped', async () => {
    const now = { t: Date.UTC(2026, 11, 5) };
    const { dir, lines, memory } = await memoryAt(now);
    await writeFile(join(dir, 'pace.json'), '{"https://a.example": {"ceiling": 3, "learn');
    expect(await memory.recall('https://a.example')).toBeUndefined();
    expect(lines.join('')).toContain('not valid JSON');
    const learnedAt = new Date(now.t).toISOString();
    const entries = {
      'https://ok.example': { ceiling: 3, learnedAt },
      'https://zero.example': { ceiling: 0, learnedAt },
      'https://both.example': { ceiling: 3, accepted: 5, learnedAt },
      'https://text.example': { accepted: '5', learnedAt },
      'https://undated.example': { ceiling: 3 },
    };
    await writeFile(join(dir, 'pace.json'), JSON.stringify(entries));
    for (const origin of Object.keys(entries))
      expect(await memory.recall(origin), origin).toEqual(origin === 'https://ok.example' ? { ceiling: 3, learnedAt } : undefined);
    // Keeping replaces a damaged file with the valid entries and the new one.
    await memory.keep('https://new.example', { accepted: 7 });
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'pace.json'), 'utf8')) as object).sort()).toEqual([
      'https://new.example',
      'https://ok.example',
    ]);
  });

  it('runs that end at once leave a whole file (the last one to write wins)', async () => {
    const now = { t: Date.UTC(2026, 11, 5) };
    const { dir, lines, memory } = await memoryAt(now);
    const origins = Array.from({ length: 8 }, (_, i) => `https://api${i}.example`);
    await Promise.all(origins.map((origin, i) => memory.keep(origin, { ceiling: i + 1 })));
    const kept = JSON.parse(await readFile(join(dir, 'pace.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(kept).length).toBeGreaterThan(0);
    for (const origin of Object.keys(kept)) expect(origins).toContain(origin);
    expect(lines).toEqual([]);
  });

  it('a data directory it cannot write to is a warning: the run goes on', async () => {
    const now = { t: Date.UTC(2026, 11, 5) };
    const { dir, lines } = await memoryAt(now);
    const blocked = join(dir, 'file');
    await writeFile(blocked, 'not a directory');
    const memory = paceMemory(join(blocked, 'data'), () => now.t, pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }));
    await expect(memory.keep('https://a.example', { ceiling: 1 })).resolves.toBeUndefined();
    expect(await memory.recall('https://a.example')).toBeUndefined();
    expect(lines.join('')).toContain('cannot remember the pace learned');
  });
});
