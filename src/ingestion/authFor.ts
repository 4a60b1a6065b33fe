import { AuthClient } from '../auth/authClient.js';
import type { AuthProvider } from '../auth/authProvider.js';
import { ApiKeyAuth, BasicAuth, NoAuth, StaticBearerAuth } from '../auth/staticAuth.js';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import type { Runtime } from '../runtime/runtime.js';

/** The auth provider the run's API names. */
export function authFor(config: Pick<ResolvedRunConfig, 'api'>, runtime: Runtime): AuthProvider {
  const auth = config.api.auth;
  switch (auth.type) {
    case 'login':
    case 'oauth2':
      return new AuthClient({ baseUrl: config.api.baseUrl, grant: auth }, runtime);
    case 'bearer':
      return new StaticBearerAuth(auth.token);
    case 'basic':
      return new BasicAuth(auth.username, auth.password);
    case 'apiKey':
      return new ApiKeyAuth(auth);
    case 'none':
      return new NoAuth();
  }
}
