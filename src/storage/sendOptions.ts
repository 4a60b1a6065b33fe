/** SDK `send` options carrying an optional AbortSignal (exactOptionalPropertyTypes-safe). */
export function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}
