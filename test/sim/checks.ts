import { TimeoutError } from '../../src/errors.js';
import { SupersededRequest } from '../../src/paging/hedgedRequest.js';
import { parseRetryAfter } from '../../src/http/retryAfter.js';
import { checkConsistency } from '../../src/report/checkConsistency.js';
import type { RunReport } from '../../src/report/runReport.js';
import type { SimulatorStats } from '../../src/simulator/index.js';
import type { LoggedRequest } from './requestLog.js';

/** The longest 503 `Retry-After` the client honours per page before treating it as an outage (docs/pacing.md). */
const OUTAGE_RETRY_AFTER_MS = 120_000;

const at = (ms: number, t0: number): string => `+${Math.round(ms - t0)} ms`;

/**
 * How the page stream must have counted a request: its deadline's abort is `timeout`, a reset
 * is `network`, the copy of a hedged request that settled second is `superseded`, an abort by
 * the run's end is not counted; otherwise the status it received.
 */
export function clientOutcome(r: LoggedRequest): string | undefined {
  if (r.abortReason instanceof SupersededRequest) return 'superseded';
  if (r.abortReason !== undefined) return r.abortReason instanceof TimeoutError ? 'timeout' : undefined;
  if (r.fate === 'network') return 'network';
  return r.sim ? String(r.sim.response.status) : undefined;
}

const tally = (keys: readonly (string | undefined)[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const k of keys) if (k !== undefined) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
};

const sameCounts = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
};

const show = (counts: Readonly<Record<string, number>>): string => JSON.stringify(Object.fromEntries(Object.entries(counts).sort()));

/**
 * The report's request counters against the simulator's own: every `/customers` request the
 * simulator answered is in the report under the outcome the client met (`clientOutcome`), the
 * 429s the client received are `rateLimited`, and each token after the first is one refresh.
 */
export function checkRequestCounters(report: RunReport, stats: SimulatorStats, log: readonly LoggedRequest[]): string[] {
  const problems: string[] = [];
  const customers = log.filter((r) => r.path === '/customers' && r.sim !== undefined);
  const served = tally(customers.map((r) => (r.sim!.response.delivery.mode === 'reset' ? 'reset' : String(r.sim!.response.status))));
  if (!sameCounts(served, stats.byEndpoint.customers)) {
    problems.push(`the request log ${show(served)} disagrees with the simulator's counters ${show(stats.byEndpoint.customers)}`);
  }
  const expected = tally(customers.map(clientOutcome));
  if (!sameCounts(expected, report.requests.byStatus)) {
    problems.push(
      `report.requests.byStatus ${show(report.requests.byStatus)} != the simulator's answers as the client met them ${show(expected)}`,
    );
  }
  // The total counts every request sent, those the run's end cut off too (they have no status).
  const sent = log.filter((r) => r.path === '/customers').length;
  if (report.requests.total !== sent)
    problems.push(`report.requests.total ${report.requests.total} != ${sent} requests sent to /customers`);
  const received429 = expected['429'] ?? 0;
  if (report.requests.rateLimited !== received429)
    problems.push(`report.requests.rateLimited ${report.requests.rateLimited} != ${received429} 429s the client received`);
  const abandoned429 = customers.filter((r) => r.sim!.response.status === 429 && clientOutcome(r) !== '429').length;
  if ((stats.byEndpoint.customers['429'] ?? 0) !== received429 + abandoned429) {
    problems.push(
      `the simulator sent ${stats.byEndpoint.customers['429'] ?? 0} 429s on /customers, the client received ${received429} and abandoned ${abandoned429}`,
    );
  }
  // A token counts once the client has it: one obtained and then found due again before use is still a refresh.
  const obtained = log.filter((r) => r.issued !== undefined && r.abortReason === undefined).length;
  const tokensSent = new Set(customers.map((r) => r.token?.value).filter((t) => t !== undefined)).size;
  const refreshes = report.requests.tokenRefreshes;
  if (report.status === 'succeeded' ? refreshes !== obtained - 1 : refreshes > Math.max(0, obtained - 1) || refreshes < tokensSent - 1) {
    problems.push(
      `report.requests.tokenRefreshes ${refreshes} != ${obtained - 1} (tokens the client obtained, minus the first; ${tokensSent} distinct tokens were sent)`,
    );
  }
  return problems;
}

/**
 * Every report is a proof, succeeded or failed: its equations hold (received = unique +
 * duplicates + without a key + refused; rows + rejected = unique; pages staged + skipped ≥ announced for a
 * finished run), and no run failed because its own counts did not add up.
 */
export function checkReportAddsUp(report: RunReport): string[] {
  const problems = checkConsistency(report)
    .filter((c) => !c.ok)
    .map((c) => `the report does not add up: ${c.detail}`);
  if (report.error?.includes('does not add up')) problems.push(`the run failed on its own counts: ${report.error}`);
  return problems;
}

/**
 * Logins against the request log: every POST /login the client sent and read an answer to (or
 * gave up on by its deadline) is one login in the report; the failed ones are those not 200.
 */
export function checkLoginCounters(report: RunReport, log: readonly LoggedRequest[]): string[] {
  const logins = log.filter((r) => r.path === '/login' && (r.abortReason === undefined || r.abortReason instanceof TimeoutError));
  // A 200 that is no login answer (cut short, or an HTML page: the simulator's wrong_content) is a failed login too.
  const failed = logins.filter(
    (r) => clientOutcome(r) !== '200' || r.sim?.response.delivery.mode === 'truncate' || !r.sim?.response.body.trimStart().startsWith('{'),
  ).length;
  const { logins: counted, failedLogins } = report.requests;
  return counted === logins.length && failedLogins === failed
    ? []
    : [`report.requests logins ${counted} (failed ${failedLogins}) != ${logins.length} POST /login answered (${failed} not a login)`];
}

/**
 * Records against the simulator's counters: what it served whole, minus what the client gave
 * up reading (a trickling body past its deadline), is what was staged — records and repeats.
 */
export function checkRecordCounters(report: RunReport, stats: SimulatorStats, log: readonly LoggedRequest[]): string[] {
  const whole = log.filter((r) => r.path === '/customers' && r.sim?.response.served !== undefined);
  const abandoned = whole.filter((r) => r.fate !== 'body' || r.abortReason !== undefined);
  const sum = (rs: readonly LoggedRequest[], key: 'records' | 'duplicates'): number =>
    rs.reduce((n, r) => n + r.sim!.response.served![key], 0);
  const problems: string[] = [];
  const records = stats.recordsServed - sum(abandoned, 'records');
  const duplicates = stats.duplicatesServed - sum(abandoned, 'duplicates');
  if (report.records.received !== records)
    problems.push(
      `report.records.received ${report.records.received} != ${records} (served whole ${stats.recordsServed}, abandoned by the client ${sum(abandoned, 'records')})`,
    );
  if (report.records.duplicates !== duplicates)
    problems.push(
      `report.records.duplicates ${report.records.duplicates} != duplicatesServed ${stats.duplicatesServed} minus ${sum(abandoned, 'duplicates')} on abandoned pages`,
    );
  return problems;
}

/**
 * Retry-After is honoured. A 429 received by the client pauses every later request to the same
 * endpoint until its Retry-After has elapsed (seconds from receipt, or the HTTP-date); a 503 with
 * Retry-After holds back its own page (up to the outage cap, beyond which the client pauses
 * everyone for the cap). "Later" is by event order, so requests already in flight are exempt.
 */
export function checkRetryAfter(log: readonly LoggedRequest[], t0: number): string[] {
  const problems: string[] = [];
  for (const given of log) {
    const status = given.sim?.response.status;
    if ((status !== 429 && status !== 503) || given.receivedAt === undefined || clientOutcome(given) !== String(status)) continue;
    const header = given.sim!.response.headers['retry-after'];
    const waitMs = parseRetryAfter(header, given.receivedAt);
    if (waitMs === undefined) continue;
    const notBefore = given.receivedAt + (status === 503 ? Math.min(waitMs, OUTAGE_RETRY_AFTER_MS) : waitMs);
    for (const next of log) {
      if (next.sentSeq < given.receivedSeq! || next.path !== given.path || next.sentAt >= notBefore) continue;
      if (status === 503 && next.page !== given.page) continue;
      problems.push(
        `request ${next.id} (${next.path}${next.page === undefined ? '' : ` page ${next.page}`}) sent at ${at(next.sentAt, t0)}, before the Retry-After "${header}" of the ${status} to request ${given.id}` +
          ` (received at ${at(given.receivedAt, t0)}) had elapsed at ${at(notBefore, t0)}`,
      );
      break;
    }
  }
  return problems;
}

/**
 * No request carries a token the client knows is dead. A token is dead for the client once it
 * received a 401 to a request carrying it (by event order), or once the lifetime it was given
 * (`expires_in`, counted from when the login answer arrived) has passed. A request sent with a
 * token already past its `exp` is allowed only before either: it is the one that discovers the
 * expiry (the login answer came so late that the token died on the way).
 */
export function checkTokens(log: readonly LoggedRequest[], t0: number): string[] {
  const problems: string[] = [];
  const issued = new Map<string, { receivedAt: number; expiresInMs: number }>();
  for (const r of log)
    if (r.issued && r.receivedAt !== undefined) issued.set(r.issued.value, { receivedAt: r.receivedAt, expiresInMs: r.issued.expiresInMs });
  const refusedAt = new Map<string, { seq: number; id: number }>();
  for (const r of log) {
    if (
      r.token &&
      r.sim?.response.status === 401 &&
      r.receivedSeq !== undefined &&
      clientOutcome(r) === '401' &&
      !refusedAt.has(r.token.value)
    ) {
      refusedAt.set(r.token.value, { seq: r.receivedSeq, id: r.id });
    }
  }
  for (const r of log) {
    if (r.path === '/login' || r.token === undefined) continue;
    const refused = refusedAt.get(r.token.value);
    if (refused !== undefined && r.sentSeq > refused.seq) {
      problems.push(
        `request ${r.id} (page ${r.page}) sent at ${at(r.sentAt, t0)} with a token already refused (401) to request ${refused.id}`,
      );
      continue;
    }
    const grant = issued.get(r.token.value);
    if (grant === undefined) {
      problems.push(`request ${r.id} carries a token no login the client read whole had issued`);
      continue;
    }
    const deadAt = grant.receivedAt + grant.expiresInMs;
    if (r.sentAt >= deadAt) {
      problems.push(
        `request ${r.id} (page ${r.page}) sent at ${at(r.sentAt, t0)} with a token whose lifetime (${grant.expiresInMs} ms from ${at(grant.receivedAt, t0)}) had passed`,
      );
    }
  }
  return problems;
}

/** Counts for the summary: requests sent with a token past its `exp` (each one discovered it). */
export function staleTokenSends(log: readonly LoggedRequest[]): number {
  return log.filter((r) => r.path !== '/login' && r.token !== undefined && r.sentAt >= r.token.expMs).length;
}
