import type { Command } from 'commander';
import { AuthClient } from '../auth/authClient.js';
import { loggerFor, type AppLogger } from '../logging/index.js';
import { createRuntime } from '../runtime/runtime.js';
import { startSimulator } from '../simulator/startSimulator.js';

interface FirstPageFlags {
  readonly apiUrl?: string;
  readonly username?: string;
  readonly limit: string;
}

/**
 * `ingest first-page`: the original brief's main.py — authenticate, fetch page 1 of
 * /customers and print its JSON. Starts a simulator when no --api-url is given.
 */
export function registerFirstPage(program: Command, appLogger: () => AppLogger): void {
  program
    .command('first-page')
    .description('log in and print page 1 of /customers (against --api-url, or a simulator it starts)')
    .option('--api-url <url>', 'base URL of the API [INGEST_API_URL]')
    .option('--username <name>', 'login user name [INGEST_USERNAME]')
    .option('--limit <n>', 'records on the page', '10')
    .action(async (flags: FirstPageFlags) => {
      const logger = loggerFor(appLogger().logger, 'first-page');
      const apiUrl = flags.apiUrl ?? process.env['INGEST_API_URL'];
      const simulator = apiUrl ? undefined : await startSimulator({ profile: 'calm' });
      try {
        const baseUrl = apiUrl ?? simulator!.url;
        if (simulator) logger.info({ url: baseUrl }, 'started a calm simulator');
        const runtime = createRuntime({ logger: appLogger().logger });
        const auth = new AuthClient(
          {
            baseUrl,
            username: flags.username ?? process.env['INGEST_USERNAME'] ?? 'demo',
            password: process.env['INGEST_PASSWORD'] ?? 'demo-password',
          },
          runtime,
        );
        const url = new URL('customers', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
        url.searchParams.set('page', '1');
        url.searchParams.set('limit', flags.limit);
        const header = await auth.getAuthHeader();
        const response = await runtime.fetch(url, { headers: header ? { authorization: header } : {} });
        if (response.status < 200 || response.status > 299) throw new Error(`GET ${url.pathname} answered ${response.status}`);
        const body: unknown = JSON.parse(await response.text());
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      } finally {
        await simulator?.close();
      }
    });
}
