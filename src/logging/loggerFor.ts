import { pino, type Logger } from 'pino';

const children = new WeakMap<Logger, Map<string, Logger>>();
/** The logger each module child was made from, so that a module's module replaces the name. */
const parents = new WeakMap<Logger, Logger>();

/**
 * The child of `root` for one module (`{ module: namespace }`). Asking twice returns the
 * same child: pino children share their parent's destination, so no output is added or
 * duplicated, and the cache keeps the child count bounded. Never give a child its own
 * `redact`: it would replace the root's shared redaction. Given a module's child, the new
 * module replaces the old name rather than adding a second `module` key to every line.
 */
export function loggerFor(logger: Logger, namespace: string): Logger {
  if (namespace.trim() === '') throw new TypeError('loggerFor: namespace must be a non-empty string');
  const root = parents.get(logger) ?? logger;
  let byName = children.get(root);
  if (!byName) {
    byName = new Map();
    children.set(root, byName);
  }
  let child = byName.get(namespace);
  if (!child) {
    child = root.child({ module: namespace });
    byName.set(namespace, child);
    parents.set(child, root);
  }
  return child;
}

/** A logger that writes nothing: the library's default when none is handed in. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
