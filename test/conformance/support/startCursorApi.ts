import { getLocal, type CompletedRequest, type Mockttp } from 'mockttp';
import { oneTo } from '../../e2e/support/deliveredObject.js';

export const API_USER = 'conformance';
export const API_PASSWORD = 'not-a-real-password-3f9c';

export interface CursorApiOptions {
  readonly records: number;
  /** A token answers this many pages, then gets 401 (an expired session); default: never expires. */
  readonly pagesPerToken?: number;
}

export interface RunningCursorApi {
  /** mockttp itself, for the test's own rules (faults: a higher priority, `once()`). */
  readonly server: Mockttp;
  readonly url: string;
  /** What the scripted API answered, in order: `login 200`, `page <starting_after|-> 200`, `page ... 401`. */
  readonly answers: readonly string[];
  close(): Promise<void>;
}

/**
 * A Stripe-like API scripted with mockttp: `POST /login` (JSON username and password) answers
 * `{ access_token, expires_in }`; `GET /items?starting_after=ID&limit=N` answers
 * `{ object: "list", items: [...], meta: { paging: { after } } }`, `after` the last id of the
 * page, null on the last one; a missing or unknown bearer token gets 401.
 */
export async function startCursorApi(options: CursorApiOptions): Promise<RunningCursorApi> {
  const items = oneTo(options.records).map((id) => ({ id, sku: `SKU-${String(id).padStart(5, '0')}`, price: id * 1.25 }));
  const answers: string[] = [];
  /** Token -> pages it has answered. */
  const tokens = new Map<string, number>();
  const server = getLocal();
  // Port 0: the system picks a free one (mockttp would otherwise probe upwards from 8000).
  await server.start(0);

  await server.forPost('/login').thenCallback(async (request: CompletedRequest) => {
    const body = (await request.body.getJson()) as { username?: unknown; password?: unknown } | undefined;
    if (body?.username !== API_USER || body.password !== API_PASSWORD) {
      answers.push('login 401');
      return { statusCode: 401, json: { error: 'invalid credentials' } };
    }
    const token = `tok-${tokens.size + 1}-${request.id}`;
    tokens.set(token, 0);
    answers.push('login 200');
    return { json: { access_token: token, token_type: 'bearer', expires_in: 3600 } };
  });

  await server.forGet('/items').thenCallback((request: CompletedRequest) => {
    const query = new URL(request.url).searchParams;
    const after = query.get('starting_after');
    const label = `page ${after ?? '-'}`;
    const token = /^Bearer (.+)$/.exec(String(request.headers['authorization'] ?? ''))?.[1];
    const served = token === undefined ? undefined : tokens.get(token);
    if (token === undefined || served === undefined || served >= (options.pagesPerToken ?? Infinity)) {
      answers.push(`${label} 401`);
      return { statusCode: 401, json: { error: 'token expired or invalid' } };
    }
    tokens.set(token, served + 1);
    const limit = Number(query.get('limit') ?? 10);
    const rest = items.filter((item) => after === null || item.id > Number(after));
    const page = rest.slice(0, limit);
    answers.push(`${label} 200`);
    const last = rest.length > limit ? page.at(-1)!.id : null;
    return { json: { object: 'list', items: page, meta: { paging: { after: last === null ? null : String(last) } } } };
  });

  return { server, url: `http://127.0.0.1:${server.port}`, answers, close: () => server.stop() };
}
