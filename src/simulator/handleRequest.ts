import { createHash, timingSafeEqual } from 'node:crypto';
import { seededRandom, type Random } from '../runtime/random.js';
import { drawLatency } from './drawLatency.js';
import { hash32, Stream } from './hash.js';
import { signToken, verifyToken, type TokenClaims } from './jwt.js';
import { pageRequest } from './pageRequest.js';
import type { Delivery, SimRequest, SimResponse } from './simResponse.js';
import type { ResolvedSimulatorOptions } from './simulatorOptions.js';
import { createStats, type FaultKind, type SimulatorEndpoint, type SimulatorStats } from './simulatorStats.js';
import { takeToken, type TokenBucket } from './tokenBucket.js';

/**
 * Everything the core remembers between requests. Bounded: a counter, one bucket per client
 * and the stats; nothing per record, so the data set's size costs no memory.
 */
export interface SimulatorState {
  /** Clock time when the simulator started; outage windows are relative to it. */
  readonly startedAt: number;
  /** API requests so far; the fault draws of request i come from hash(seed, i). */
  requestIndex: number;
  readonly buckets: Map<string, TokenBucket>;
  readonly stats: SimulatorStats;
}

export function createSimulatorState(startedAt: number): SimulatorState {
  return { startedAt, requestIndex: 0, buckets: new Map(), stats: createStats() };
}

type Headers = Record<string, string>;

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p><hr><center>nginx</center></body></html>\n';

const routes: Readonly<Record<string, readonly [SimulatorEndpoint, string]>> = {
  '/login': ['login', 'POST'],
  '/customers': ['customers', 'GET'],
  '/orders': ['orders', 'GET'],
  '/health': ['health', 'GET'],
  '/__stats': ['stats', 'GET'],
};

const json = (status: number, body: unknown, headers: Headers = {}): Omit<SimResponse, 'delayMs'> => ({
  status,
  headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
  delivery: { mode: 'normal' },
});

const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The simulator's pure core: the response to `req` at time `now`, given the options and the
 * state (which it updates: request counter, rate-limit buckets, stats). No I/O, no clock, no
 * ambient randomness: the same options and the same requests at the same times give
 * byte-identical responses.
 */
export function handleRequest(o: ResolvedSimulatorOptions, state: SimulatorState, req: SimRequest, now: number): SimResponse {
  const stats = state.stats;
  stats.requests++;
  const [endpoint, method] = routes[req.path] ?? ['other', ''];
  const done = (res: Omit<SimResponse, 'delayMs'>, delayMs = 0): SimResponse => {
    const key = res.delivery.mode === 'reset' ? 'reset' : String(res.status);
    const counts = stats.byEndpoint[endpoint];
    counts[key] = (counts[key] ?? 0) + 1;
    return { ...res, delayMs };
  };
  if (endpoint === 'other') return done(json(404, { error: 'not_found' }));
  if (req.method !== method) return done(json(405, { error: 'method_not_allowed' }, { allow: method }));
  if (endpoint === 'health') return done(json(200, { status: 'ok' }));
  if (endpoint === 'stats') {
    const counted = done(json(200, {}));
    return { ...counted, body: JSON.stringify(stats) };
  }

  const r = seededRandom(hash32(o.seed, state.requestIndex, Stream.request));
  const index = state.requestIndex++;
  const fault = (kind: FaultKind): void => void stats.faults[kind]++;
  let delayMs = drawLatency(o.latency, r);
  // Drawn for every request, so that the draws after it do not depend on the endpoint.
  const slow = r() < o.slowRate;
  if (slow && (endpoint !== 'login' || o.faultsOnLogin)) {
    delayMs += o.slowMs;
    fault('slow');
  }
  const reply = (res: Omit<SimResponse, 'delayMs'>): SimResponse => done(res, delayMs);

  const elapsed = now - state.startedAt;
  const outage = o.outages.find((w) => elapsed >= w.startMs && elapsed < w.endMs);
  if (outage) {
    fault('outage');
    return reply(json(503, { error: 'unavailable' }, { 'retry-after': String(Math.ceil((outage.endMs - elapsed) / 1000)) }));
  }

  const claims = bearerClaims(req, o.jwtSecret);
  const rateHeaders: Headers = {};
  if (o.rateLimit > 0) {
    const clientKey = claims ? `sub:${claims.sub}` : `client:${req.client ?? 'unknown'}`;
    const bucket = state.buckets.get(clientKey) ?? { tokens: o.rateLimitBurst, at: now };
    state.buckets.set(clientKey, bucket);
    const decision = takeToken(bucket, now, o.rateLimit, o.rateLimitBurst);
    const window = o.rateLimit >= 1 ? 1 : Math.ceil(1 / o.rateLimit);
    const quota = Math.max(1, Math.round(o.rateLimit * window));
    if (o.rateLimitPolicyHeader) rateHeaders['ratelimit-policy'] = `"default";q=${quota};w=${window}`;
    if (o.rateLimitHeaders) {
      rateHeaders['ratelimit-limit'] = String(quota);
      rateHeaders['ratelimit-remaining'] = String(decision.remaining);
      rateHeaders['ratelimit-reset'] = String(decision.resetSeconds);
    }
    if (!decision.allowed) {
      stats.rateLimited++;
      fault('rate_limited');
      const retryAfter =
        r() < o.retryAfterDateRate
          ? new Date(Math.ceil((now + decision.resetSeconds * 1000) / 1000) * 1000).toUTCString()
          : String(decision.resetSeconds);
      return reply(json(429, { error: 'rate_limited' }, { ...rateHeaders, 'retry-after': retryAfter }));
    }
  }

  let res: Omit<SimResponse, 'delayMs'>;
  let served: { records: number; duplicates: number } | undefined;
  if (endpoint === 'login') {
    const body = parseLogin(req.body);
    if (!body)
      return reply(json(400, { error: 'invalid_request', message: 'expected JSON {"username": string, "password": string}' }, rateHeaders));
    const injected = o.faultsOnLogin ? randomFault(o, r, fault, rateHeaders) : undefined;
    if (injected) return reply(injected);
    if (!sameSecret(body.username, o.username) || !sameSecret(body.password, o.password)) {
      stats.logins.failed++;
      return reply(json(401, { error: 'invalid_credentials' }, rateHeaders));
    }
    stats.logins.succeeded++;
    const iat = Math.floor(now / 1000);
    const exp = Math.ceil((now + o.tokenLifetimeSeconds * 1000) / 1000);
    const token = signToken({ sub: o.username, iat, exp, jti: String(index) }, o.jwtSecret);
    res = json(200, { access_token: token, token_type: 'Bearer', expires_in: o.advertisedLifetimeSeconds }, rateHeaders);
  } else {
    if (!claims) {
      return reply(json(401, { error: 'invalid_token' }, { ...rateHeaders, 'www-authenticate': 'Bearer error="invalid_token"' }));
    }
    if (now >= claims.exp * 1000) {
      fault('token_expired');
      return reply(
        json(
          401,
          { error: 'token_expired' },
          { ...rateHeaders, 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
        ),
      );
    }
    const request = pageRequest(o, endpoint, req.query);
    if ('error' in request) return reply(json(400, { error: 'invalid_request', message: request.error }, rateHeaders));
    const injected = randomFault(o, r, fault, rateHeaders);
    if (injected) return reply(injected);
    // Built only now: a page that a fault replaces costs nothing.
    const page = request.build();
    res = { ...json(200, {}, rateHeaders), body: page.body };
    served = page;
  }

  // Faults on a successful answer (login only when faultsOnLogin).
  const faulty = endpoint !== 'login' || o.faultsOnLogin;
  const bodyFault = faulty ? bodyFaultDraw(o, r) : undefined;
  if (bodyFault === 'wrong_content') {
    fault('wrong_content');
    return reply({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: HTML_ERROR_PAGE,
      delivery: { mode: 'normal' },
    });
  }
  if (bodyFault === 'reset' || bodyFault === 'truncated') {
    fault(bodyFault);
    const half = Math.floor(bytesOf(res.body) / 2);
    const delivery: Delivery = bodyFault === 'reset' ? { mode: 'reset', afterBytes: half } : { mode: 'truncate', bytes: half };
    return reply({ ...res, delivery });
  }
  if (faulty && r() < o.trickleRate) {
    fault('trickle');
    res = { ...res, delivery: { mode: 'trickle', chunks: o.trickleChunks, intervalMs: o.trickleIntervalMs } };
  }
  if (served) {
    stats.pagesServed++;
    stats.recordsServed += served.records;
    stats.duplicatesServed += served.duplicates;
    return reply({ ...res, served: { records: served.records, duplicates: served.duplicates } });
  }
  return reply(res);
}

/** The status faults (500/502/503), drawn before the body faults with one shared uniform draw. */
function randomFault(
  o: ResolvedSimulatorOptions,
  r: Random,
  fault: (kind: FaultKind) => void,
  headers: Headers,
): Omit<SimResponse, 'delayMs'> | undefined {
  const u = r();
  if (u < o.serverErrorRate) {
    if (r() < o.badGatewayShare) {
      fault('bad_gateway');
      return {
        status: 502,
        headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
        body: HTML_ERROR_PAGE,
        delivery: { mode: 'normal' },
      };
    }
    fault('internal_error');
    return json(500, { error: 'internal' }, headers);
  }
  if (u < o.serverErrorRate + o.unavailableRate) {
    fault('unavailable');
    const extra: Headers =
      r() < o.unavailableRetryAfterRate ? { 'retry-after': String(1 + Math.floor(r() * o.unavailableRetryAfterMaxSeconds)) } : {};
    return json(503, { error: 'unavailable' }, { ...headers, ...extra });
  }
  return undefined;
}

function bodyFaultDraw(o: ResolvedSimulatorOptions, r: Random): 'reset' | 'truncated' | 'wrong_content' | undefined {
  const u = r();
  if (u < o.resetRate) return 'reset';
  if (u < o.resetRate + o.truncateRate) return 'truncated';
  if (u < o.resetRate + o.truncateRate + o.wrongContentRate) return 'wrong_content';
  return undefined;
}

function bearerClaims(req: SimRequest, secret: string): TokenClaims | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers['authorization'] ?? '');
  return match?.[1] === undefined ? undefined : verifyToken(match[1], secret);
}

function parseLogin(body: string): { username: string; password: string } | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return undefined;
    const { username, password } = value as Record<string, unknown>;
    return typeof username === 'string' && typeof password === 'string' ? { username, password } : undefined;
  } catch {
    return undefined;
  }
}

/** Compares without leaking, through timing, how much of a secret matched. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
