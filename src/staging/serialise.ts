/** JSON.stringify, or undefined for a value it cannot serialise (a cycle, a BigInt, nesting past the stack). */
export function serialise(record: unknown): string | undefined {
  try {
    return JSON.stringify(record);
  } catch {
    return undefined;
  }
}
