import { AuthClient } from '../auth/authClient.js';
import type { AuthProvider } from '../auth/authProvider.js';
import { NoAuth, StaticBearerAuth } from '../auth/staticAuth.js';
import type { ResolvedRunConfig } from '../config/loadRunConfig.js';
import type { Runtime } from '../runtime/runtime.js';

/** The auth provider a run's `auth` option names. */
export function authFor(config: ResolvedRunConfig, runtime: Runtime): AuthProvider {
  switch (config.auth) {
    case 'login':
      // resolveRunConfig guarantees both for auth=login.
      return new AuthClient(
        { baseUrl: config.apiUrl, loginPath: config.loginPath, username: config.username ?? '', password: config.password ?? '' },
        runtime,
      );
    case 'bearer':
      return new StaticBearerAuth(config.token ?? '');
    case 'none':
      return new NoAuth();
  }
}
