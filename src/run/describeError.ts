/** A caught value as one line of text for context and reports (never the value itself: it may hold secrets or cycles). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  return 'unknown error';
}
