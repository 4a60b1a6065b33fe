import { describe, expect, it } from 'vitest';
import { range, runStream } from './streamHarness.js';
import { simPaging } from '../support/simPaging.js';

const seeds = Array.from({ length: 200 }, (_, i) => i + 1);

describe('hostile profile, many seeds (virtual time)', () => {
  it('stages every page exactly once and every id, for each of 200 seeds (30 pages each)', async () => {
    const failures: string[] = [];
    let requests = 0;
    let declined = 0;
    for (const seed of seeds) {
      const r = await runStream({ profile: 'hostile', records: 600, seed }, { ...simPaging('page', 20) }, { seed });
      const pages = r.staged.map((p) => p.page).sort((a, b) => a - b);
      const ids = new Set(r.staged.flatMap((p) => (p.records ?? []).map((x) => (x as { id: number }).id)));
      const ok =
        r.error === undefined &&
        pages.join() === range(30).join() &&
        ids.size === 600 &&
        Math.min(...ids) === 1 &&
        Math.max(...ids) === 600;
      if (!ok) failures.push(`seed ${seed}: ${String(r.error)} pages=${pages.length} ids=${ids.size}`);
      // Every staged record is one the server sent for that page (no mix-up between pages).
      for (const p of r.staged) {
        const pageIds = (p.records ?? []).map((x) => (x as { id: number }).id);
        expect(pageIds.filter((id) => id > (p.page - 1) * 20).every((id) => id <= p.page * 20)).toBe(true);
      }
      requests += r.counts.requests.total;
      declined += r.counts.requests.rateLimited;
    }
    expect(failures).toEqual([]);
    // Pacing holds across seeds: 429s stay a small share of attempts.
    expect(declined / requests).toBeLessThan(0.05);
  });
});
