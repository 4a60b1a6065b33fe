export { AuthClient, type AuthRuntime, type AuthStats } from './authClient.js';
export { authClientDefaults, refreshDelayMs, resolveAuthClientOptions, type AuthClientOptions } from './authClientOptions.js';
export type { AuthEvent, AuthProvider, LoginReason } from './authProvider.js';
export { credentialsFromEnv, type Credentials } from './credentialsFromEnv.js';
export { ApiKeyAuth, BasicAuth, NoAuth, StaticAuth, StaticBearerAuth } from './staticAuth.js';
