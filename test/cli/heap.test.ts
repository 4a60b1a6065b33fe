import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** A child that turns over 330 KB strings as a run turns over page bodies, and prints its peak V8 heap in MB. */
const churn = (favour: boolean): number => {
  const script = `
    ${favour ? "const { default: heap } = await import('./src/cli/heap.cts'); heap.favourSmallHeap();" : ''}
    let peak = 0;
    const held = [];
    for (let page = 0; page < 2000; page++) {
      const body = Array.from({ length: 1000 }, (_, i) => '{"id":' + (page * 1000 + i) + ',"name":"' + 'x'.repeat(300) + '"}').join(',');
      held.push(body.slice(0, 40));
      if (held.length > 16) held.shift();
      if (page % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    console.log(Math.round(peak / 2 ** 20));`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
};

describe('heap.favourSmallHeap', () => {
  it('reliability row 28: keeps the V8 heap of a page-body churn far below what V8 grows to by default', () => {
    const plain = churn(false);
    const favoured = churn(true);
    expect(favoured).toBeLessThan(plain * 0.7);
  });
});
