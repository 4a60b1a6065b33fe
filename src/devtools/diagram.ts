import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface MermaidOptions {
  /** Write each state's `description` and invoked actor under its name (default true). */
  readonly descriptions?: boolean;
}

type Out = string[];

/** Mermaid ids must be plain words, unique across the whole diagram: the path joined by `_`. */
function idOf(node: AnyStateNode): string {
  return node.path.map((key: string) => key.replace(/[^A-Za-z0-9_]/g, '_')).join('_');
}

/** Mermaid ends a label at a line break and reads `;`, `:`, `{`, `}` and `#` as syntax. */
function text(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .replace(/[;:]/g, ',')
    .replace(/[{}#"<>]/g, '')
    .trim();
}

function guardName(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  if (typeof guard === 'object' && guard !== null && 'type' in guard && typeof guard.type === 'string') return guard.type;
  return 'guard';
}

function srcName(src: unknown): string {
  return typeof src === 'string' ? src : 'actor';
}

/** The event a transition listens to, as a reader names it (invoke results and timers included). */
function eventLabel(source: AnyStateNode, t: AnyTransitionDefinition): string {
  const type = String(t.eventType);
  if ('delay' in t && t.delay !== undefined) {
    const delay: unknown = t.delay;
    return typeof delay === 'number' ? `after ${delay}ms` : typeof delay === 'string' ? `after ${delay}` : 'after delay';
  }
  const invoked = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (invoked) {
    const definition = source.invoke.find((i) => i.id === invoked[2]);
    return `${definition ? srcName(definition.src) : invoked[2]}.${invoked[1] === 'done' ? 'done' : 'error'}`;
  }
  if (type.startsWith('xstate.done.state.')) return 'done';
  if (type === '') return 'always';
  return type;
}

function ancestors(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node.parent; n; n = n.parent) chain.unshift(n);
  return chain;
}

/** The child of `scope` on the way down to `node` (or `node` itself when it is that child). */
function childOn(scope: AnyStateNode, node: AnyStateNode): AnyStateNode {
  let n = node;
  while (n.parent && n.parent !== scope) n = n.parent;
  return n;
}

interface Edge {
  readonly scope: AnyStateNode;
  readonly line: string;
}

/**
 * Mermaid cannot draw an edge across composite states, so each edge is drawn between the
 * children of the deepest state that holds both ends, and names the real end it stands for.
 */
function edgeOf(source: AnyStateNode, target: AnyStateNode, label: string): Edge {
  const a = ancestors(source);
  const b = ancestors(target);
  const top = a[0];
  // A transition on the machine itself applies in every state: Mermaid has no edge for that.
  if (top === undefined) return { scope: source, line: `%% any state --> ${idOf(target)} : ${text(label)}` };
  let scope = top;
  for (let i = 0; i < a.length && i < b.length && a[i] === b[i]; i++) scope = a[i]!;
  const from = childOn(scope, source);
  const to = childOn(scope, target);
  const notes = [...(from === source ? [] : [`from ${source.key}`]), ...(to === target ? [] : [`to ${target.key}`])];
  const full = notes.length > 0 ? `${label} (${notes.join(', ')})` : label;
  return { scope, line: `${idOf(from)} --> ${idOf(to)} : ${text(full)}` };
}

function transitionsOf(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

function collectEdges(node: AnyStateNode, edges: Edge[]): void {
  for (const t of transitionsOf(node)) {
    const guard = guardName(t.guard);
    const label = guard === undefined ? eventLabel(node, t) : `${eventLabel(node, t)} [${guard}]`;
    for (const target of t.target ?? []) edges.push(edgeOf(node, target, label));
  }
  for (const child of Object.values(node.states)) collectEdges(child, edges);
}

function describe(node: AnyStateNode, indent: string, out: Out): void {
  const id = idOf(node);
  if (node.description) out.push(`${indent}${id} : ${text(node.description)}`);
  for (const invoke of node.invoke) out.push(`${indent}${id} : invokes ${text(srcName(invoke.src))}`);
}

function render(scope: AnyStateNode, edges: readonly Edge[], options: Required<MermaidOptions>, indent: string, out: Out): void {
  const children = Object.values(scope.states);
  if (scope.type !== 'parallel') {
    for (const target of scope.initial.target) out.push(`${indent}[*] --> ${idOf(target)}`);
  }
  children.forEach((child, i) => {
    const id = idOf(child);
    if (scope.type === 'parallel' && i > 0) out.push(`${indent}--`);
    if (Object.keys(child.states).length > 0) {
      out.push(`${indent}state ${id} {`);
      render(child, edges, options, `${indent}  `, out);
      out.push(`${indent}}`);
    } else if (id !== child.key) {
      out.push(`${indent}state "${text(child.key)}" as ${id}`);
    } else {
      out.push(`${indent}${id}`);
    }
    if (options.descriptions) describe(child, indent, out);
    if (child.type === 'final') out.push(`${indent}${id} --> [*]`);
  });
  for (const edge of edges) if (edge.scope === scope) out.push(`${indent}${edge.line}`);
}

/**
 * A Mermaid `stateDiagram-v2` of a machine, read from its definition (`machine.root` and its
 * state nodes): nested and final states, event, guarded, delayed (`after …`) and invoke
 * done/error transitions. Transitions without a target (counters) change no state and are left out.
 */
export function machineToMermaid(machine: AnyStateMachine, options: MermaidOptions = {}): string {
  const resolved: Required<MermaidOptions> = { descriptions: options.descriptions ?? true };
  const root: AnyStateNode = machine.root;
  const edges: Edge[] = [];
  collectEdges(root, edges);
  const out: Out = ['stateDiagram-v2'];
  if (root.description) out.push(`  %% ${root.id}: ${text(root.description)}`);
  render(root, edges, resolved, '  ', out);
  return `${out.join('\n')}\n`;
}
