import { describe, expect, it } from 'vitest';
import { createMachine, setup, type AnyStateNode } from 'xstate';
import { ingestionRun } from '../../machines/ingestionRun.js';
import { machineToMermaid } from '../../src/devtools/diagram.js';

function nodesOf(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(nodesOf)];
}

/** Targeted transitions of the definition, counted without the generator. */
function targetedTransitions(node: AnyStateNode): number {
  const own = [...[...node.transitions.values()].flat(), ...(node.always ?? [])].reduce((n, t) => n + (t.target?.length ?? 0), 0);
  return own + Object.values(node.states).reduce((n, child) => n + targetedTransitions(child), 0);
}

const edgeLines = (diagram: string): string[] =>
  diagram.split('\n').filter((l) => /-->/.test(l) && !l.includes('[*]') && !l.trim().startsWith('%%'));

describe('machineToMermaid', () => {
  const diagram = machineToMermaid(ingestionRun);
  const lines = diagram.split('\n').map((l) => l.trim());

  it('is a stateDiagram-v2 that declares every state of the run machine', () => {
    expect(lines[0]).toBe('stateDiagram-v2');
    for (const name of ['authenticating', 'writing', 'uploading', 'reporting', 'succeeded', 'failed']) {
      expect(lines).toContain(name);
    }
    expect(lines).toContain('state ingesting {');
    for (const child of ['fetching', 'backingOff', 'refreshingToken', 'stopping']) {
      expect(lines).toContain(`state "${child}" as ingesting_${child}`);
    }
    const declared = nodesOf(ingestionRun.root).slice(1);
    expect(declared).toHaveLength(11);
    for (const node of declared) expect(diagram).toContain(node.path.join('_'));
  });

  it('marks initial and final states, and nests the fetch phase', () => {
    expect(lines).toContain('[*] --> authenticating');
    expect(lines).toContain('[*] --> ingesting_fetching');
    expect(lines).toContain('succeeded --> [*]');
    expect(lines).toContain('failed --> [*]');
    const open = lines.indexOf('state ingesting {');
    const close = lines.indexOf('}', open);
    expect(lines.slice(open, close)).toContain('ingesting_fetching --> ingesting_backingOff : rateLimit.hit');
  });

  it('labels events, guards, named delays and invoke results', () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        'ingesting_backingOff --> ingesting_fetching : rateLimit.resumed',
        'ingesting_refreshingToken --> ingesting_fetching : token.refreshed',
        'authenticating --> reporting : prepare.done [alreadyDelivered]',
        'authenticating --> uploading : prepare.done [fileAlreadyWritten]',
        'authenticating --> ingesting : prepare.done',
        'authenticating --> reporting : prepare.error',
        'ingesting --> writing : stream.completed',
        'ingesting --> reporting : fetchPages.error',
        'ingesting --> reporting : after cancelGrace (from stopping)',
        'writing --> uploading : writeFinalFile.done',
        'uploading --> reporting : uploadFile.error',
        'reporting --> failed : writeReport.done [runFailed]',
        'reporting --> succeeded : writeReport.done',
      ]),
    );
    expect(lines).toContain('authenticating : invokes prepare');
    expect(lines).toContain('ingesting : invokes fetchPages');
  });

  it('draws one edge per targeted transition of the definition', () => {
    expect(edgeLines(diagram)).toHaveLength(targetedTransitions(ingestionRun.root));
  });

  it('writes descriptions only when asked', () => {
    expect(diagram).toContain("backingOff : Mirrors the rate limiter's run-wide pause");
    const bare = machineToMermaid(ingestionRun, { descriptions: false });
    expect(bare).not.toContain('Mirrors the rate limiter');
    expect(bare).not.toContain('invokes');
    expect(edgeLines(bare)).toEqual(edgeLines(diagram));
  });

  it('follows the definition: a modified machine gives a different diagram', () => {
    const config = ingestionRun.config;
    const states = config.states!;
    const modified = createMachine({
      ...config,
      states: {
        ...states,
        uploading: { ...states.uploading, after: { 600000: 'failed' } },
        archived: { type: 'final', description: 'Moved to cold storage.' },
      },
      // The config is typed for the original machine; the edit is the point of the test.
    } as unknown as Parameters<typeof createMachine>[0]);
    const changed = machineToMermaid(modified);
    expect(changed).toContain('uploading --> failed : after 600000ms');
    expect(changed).toContain('archived : Moved to cold storage.');
    expect(changed).toContain('archived --> [*]');
    expect(diagram).not.toContain('archived');
    expect(edgeLines(changed)).toHaveLength(edgeLines(diagram).length + 1);
  });

  it('renders a small machine exactly, escaping what Mermaid would misread', () => {
    const machine = setup({ guards: { ready: () => true }, delays: { patience: 1000 } }).createMachine({
      id: 'tiny',
      initial: 'idle',
      on: { 'app.reset': '.idle' },
      states: {
        idle: { description: 'Waiting: for {input}; nothing #else', on: { go: { target: 'busy', guard: 'ready' } } },
        busy: {
          initial: 'a',
          states: { a: { after: { patience: 'b' } }, b: { always: '#tiny.done' } },
        },
        done: { type: 'final' },
      },
    });
    expect(machineToMermaid(machine)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> idle',
        '  idle',
        '  idle : Waiting, for input, nothing else',
        '  state busy {',
        '    [*] --> busy_a',
        '    state "a" as busy_a',
        '    state "b" as busy_b',
        '    busy_a --> busy_b : after patience',
        '  }',
        '  done',
        '  done --> [*]',
        '  %% any state --> idle : app.reset',
        '  idle --> busy : go [ready]',
        '  busy --> done : always (from b)',
        '',
      ].join('\n'),
    );
  });
});
