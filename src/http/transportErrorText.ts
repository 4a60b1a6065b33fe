/** A transport failure in words: undici's `fetch failed` keeps the useful part (ECONNRESET, …) in its cause. */
export function transportErrorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
