export { AuthClient, type AuthEvent, type AuthRuntime, type AuthStats, type LoginReason } from './authClient.js';
export { authClientDefaults, refreshDelayMs, resolveAuthClientOptions, type AuthClientOptions } from './authClientOptions.js';
export type { AuthProvider } from './authProvider.js';
export { credentialsFromEnv, type Credentials } from './credentialsFromEnv.js';
export { NoAuth, StaticBearerAuth } from './staticAuth.js';
