import { describe, expect, it } from 'vitest';
import { createPagePlanner } from '../../src/paging/pagePlanner.js';
import { simPaging } from '../support/simPaging.js';

describe('the page planner', () => {
  it('plans a total of 300,000 pages without a stack that grows with it (no argument spread)', () => {
    const planner = createPagePlanner(simPaging('page', 1), undefined, 1_000_000, () => undefined);
    expect(planner.initial()).toEqual([{ page: 1 }]);
    const jobs = planner.fetched(
      { page: 1 },
      { count: 1, totalPages: 300_000, totalRecords: undefined, hasNext: undefined, next: undefined },
    );
    expect(jobs).toHaveLength(299_999);
    expect(jobs.at(-1)).toEqual({ page: 300_000 });
  });
});
