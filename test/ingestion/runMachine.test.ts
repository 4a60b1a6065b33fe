import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { registerDiagram } from '../../src/cli/diagram.js';
import { machineToMermaid } from '../../src/devtools/diagram.js';
import { runIngestionMachine } from '../../src/ingestion/provideIngestionRun.js';
import { combineInspectors } from '../../src/ingestion/runMachine.js';
import { SimulatedClock } from '../../src/runtime/simulatedClock.js';
import { STEP_MS, fakeDeps, input, staged, visits } from '../machines/runHarness.js';

describe('runIngestionMachine', () => {
  it('records the timeline, binds the dependencies and resolves with the report', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const { deps, calls } = fakeDeps(clock, {}, [
      [100, staged(1, 10, 1)],
      [0, { type: 'stream.completed', pages: 1, records: 10 }],
    ]);
    const seen: string[] = [];
    const report = await clock.run(() =>
      runIngestionMachine(deps, input, { clock, inspect: (e) => void (e.type === '@xstate.event' && seen.push(e.event.type)) }),
    );
    expect(report.status).toBe('succeeded');
    expect(visits(report.timeline)).toEqual([
      ['authenticating', STEP_MS.prepare],
      ['ingesting.fetching', 100],
      ['writing', STEP_MS.write],
      ['uploading', STEP_MS.upload],
      ['reporting', 0],
    ]);
    expect(calls.drafts[0]!.timeline).toEqual(report.timeline);
    // The extra inspector saw the stream's events arrive as machine events, the counted ones together and first.
    expect(seen.filter((type) => type.startsWith('stream.'))).toEqual(['stream.counted', 'stream.completed']);
  });

  it('maps an abort to run.cancel with the reason', async () => {
    const clock = new SimulatedClock(0);
    const { deps } = fakeDeps(clock, {}, [[60_000, staged(1, 1)]]);
    const ac = new AbortController();
    clock.setTimeout(() => ac.abort(new Error('SIGTERM')), 500);
    const sent: Array<[string, unknown]> = [];
    const report = await clock.run(() =>
      runIngestionMachine(deps, input, {
        clock,
        signal: ac.signal,
        inspect: {
          next: (e) => {
            if (e.type === '@xstate.event' && e.event.type === 'run.cancel') {
              sent.push([e.actorRef.sessionId === e.rootId ? 'machine' : 'stream', e.event]);
            }
          },
        },
      }),
    );
    // The machine gets the cancel and forwards it to the stream actor, to stop at a page boundary.
    expect(sent).toEqual([
      ['machine', { type: 'run.cancel', reason: 'SIGTERM' }],
      ['stream', { type: 'run.cancel', reason: 'SIGTERM' }],
    ]);
    expect(report.error).toMatch(/^The run was cancelled \(SIGTERM\)/);
  });
});

describe('combineInspectors', () => {
  it('hands every inspection event to each inspector, observer or function', () => {
    const a: string[] = [];
    const b: string[] = [];
    const inspect = combineInspectors([(e) => void a.push(e.type), { next: (e) => void b.push(e.type) }]);
    const event = { type: '@xstate.actor' } as InspectionEvent;
    (inspect as (e: InspectionEvent) => void)(event);
    expect(a).toEqual(['@xstate.actor']);
    expect(b).toEqual(['@xstate.actor']);
    expect(combineInspectors([])).toBeUndefined();
    expect(combineInspectors(undefined)).toBeUndefined();
  });
});

describe('ingest diagram', () => {
  it('prints the Mermaid diagram generated from the run machine', async () => {
    const out: string[] = [];
    const program = new Command().exitOverride();
    registerDiagram(program, (t) => void out.push(t));
    await program.parseAsync(['diagram'], { from: 'user' });
    expect(out).toEqual([machineToMermaid(ingestionRun)]);
    await program.parseAsync(['diagram', '--no-descriptions'], { from: 'user' });
    expect(out[1]).toBe(machineToMermaid(ingestionRun, { descriptions: false }));
    await program.parseAsync(['diagram', '--markdown'], { from: 'user' });
    expect(out[2]).toBe(`\`\`\`mermaid\n${machineToMermaid(ingestionRun)}\`\`\`\n`);
  });
});
