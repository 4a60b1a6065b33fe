export { AppLogger, createAppLogger, FILE_ONLY, type AppLoggerOptions, type FileLogOptions, type LiveLine } from './createAppLogger.js';
export { loggerFor, silentLogger } from './loggerFor.js';
export { redactingLoggerOptions, scrubValue, type RedactingOptions } from './loggerOptions.js';
export {
  defaultSecretRegistry,
  isScrubbable,
  isSensitiveKey,
  MIN_SCRUBBED_SECRET_LENGTH,
  REDACT_PATHS,
  REDACTED,
  redactOptions,
  redactSecrets,
  registerSecret,
  secretPattern,
  SecretRegistry,
  SENSITIVE_KEYS,
} from './redaction.js';
