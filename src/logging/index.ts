export { AppLogger, createAppLogger, FILE_ONLY, type AppLoggerOptions, type FileLogOptions, type LiveLine } from './createAppLogger.js';
export { loggerFor, silentLogger } from './loggerFor.js';
export { redactingLoggerOptions, scrubValue, type RedactingOptions } from './loggerOptions.js';
export {
  defaultSecretRegistry,
  isSensitiveKey,
  REDACT_PATHS,
  REDACTED,
  redactOptions,
  redactSecrets,
  registerSecret,
  SecretRegistry,
  SENSITIVE_KEYS,
} from './redaction.js';
