import { ConfigError } from '../../src/errors.js';

/** The problems of the `ConfigError` that `promise` rejects with; anything else fails the test. */
export async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
