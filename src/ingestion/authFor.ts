import { AuthClient } from '../auth/authClient.js';
import type { AuthProvider } from '../auth/authProvider.js';
import { NoAuth, StaticBearerAuth } from '../auth/staticAuth.js';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import { ConfigError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';

/** The auth provider the run's API names. */
export function authFor(config: Pick<ResolvedRunConfig, 'api'>, runtime: Runtime): AuthProvider {
  const auth = config.api.auth;
  switch (auth.type) {
    case 'login':
      return new AuthClient(
        {
          baseUrl: config.api.baseUrl,
          loginPath: auth.path,
          username: String(auth.body['username'] ?? ''),
          password: String(auth.body['password'] ?? ''),
        },
        runtime,
      );
    case 'bearer':
      return new StaticBearerAuth(auth.token);
    case 'none':
      return new NoAuth();
    default:
      throw new ConfigError([`api.auth.type: ${auth.type} is not supported yet`]);
  }
}
