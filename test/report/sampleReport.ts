import type { RunReport, StateVisit } from '../../src/report/runReport.js';

const START = Date.UTC(2026, 0, 1, 6, 0, 0);

/** The run's state visits, as the machine's inspection would record them. */
const visits: readonly (readonly [string, number])[] = [
  ['authenticating', 320],
  ['fetching', 61_200],
  ['backingOff', 4_000],
  ['fetching', 30_500],
  ['refreshingToken', 180],
  ['fetching', 20_100],
  ['backingOff', 2_500],
  ['fetching', 9_800],
  ['writing', 2_350],
  ['uploading', 1_240],
  ['reporting', 90],
];

function buildTimeline(): StateVisit[] {
  let at = START;
  return visits.map(([state, durationMs]) => {
    const visit = { state, enteredAt: new Date(at).toISOString(), durationMs };
    at += durationMs;
    return visit;
  });
}

const timeline = buildTimeline();
const durationMs = timeline.reduce((sum, v) => sum + v.durationMs, 0);
const received = 100_000;
const pages = 100;

/**
 * A realistic successful run: 100 pages of 1,000 customers from a flaky API, with 5xx retries,
 * two 429 pauses, one token refresh, duplicates, rejects and dirty columns.
 */
export const sampleReport: RunReport = {
  status: 'succeeded',
  runId: 'run-20260101T060000Z-7f3a',
  dataset: 'customers',
  endpoint: 'http://127.0.0.1:8080/customers',
  startedAt: new Date(START).toISOString(),
  finishedAt: new Date(START + durationMs).toISOString(),
  durationMs,
  resumed: false,
  timeline,
  requests: {
    total: 114,
    byStatus: { '200': 100, '401': 1, '429': 2, '500': 7, '503': 3, timeout: 1 },
    retries: 11,
    retriesByStatus: { '500': 7, '503': 3, timeout: 1 },
    rateLimited: 2,
    rateLimitPauseMs: 6_500,
    pace: { from: 'remembered', rate: 9.5, learnedAt: '2026-01-01T08:00:00.000Z' },
    tokenRefreshes: 1,
    logins: 4,
    failedLogins: 2,
    loginMs: 6_100,
  },
  pages: { staged: pages, skippedOnResume: 0, total: pages, records: received },
  records: { received, unique: 99_786, duplicates: 214, withoutKey: 0, refused: 0, rejected: 37 },
  throughput: {
    recordsPerSecond: received / (durationMs / 1000),
    pagesPerSecond: pages / (durationMs / 1000),
    staging: { transactions: 212, parseMs: 1_840, appendMs: 3_120, checkpointMs: 96, commitMs: 730 },
  },
  output: {
    format: 'parquet',
    transform: 'clean',
    path: 'data/out/customers/run-20260101T060000Z-7f3a.parquet',
    bytes: 8_734_112,
    rows: 99_749,
    sha256: '9f2c4e1ab07d3c55e8a1f6b2d4c0e7a93b1d5f8c2e6a0b4d7f9c1e3a5b7d9f0e',
    checksum: 'sha256:nyxOGrB9PFXooW+y1MDnqTsdX4wuagtN+cHjpbfZ8A4=',
    rejectsPath: 'data/out/customers/run-20260101T060000Z-7f3a.rejects.ndjson',
  },
  delivery: {
    uri: 's3://ingest-bucket/dataset=customers/date=2026-01-01/run-20260101T060000Z-7f3a.parquet',
    status: 'uploaded',
    verifiedBy: 'HeadObject ChecksumSHA256 equals the local checksum',
    reportUri: 's3://ingest-bucket/reports/run-20260101T060000Z-7f3a.report.json',
  },
  quality: [
    { column: 'id', type: 'BIGINT', nulls: 0, invalid: 0 },
    { column: 'email', type: 'VARCHAR', nulls: 12, invalid: 181, invalidRule: 'not an email address' },
    { column: 'phone', type: 'VARCHAR', nulls: 1_034, invalid: 0 },
    { column: 'signup_date', type: 'DATE', nulls: 3, invalid: 55, invalidRule: 'not an ISO-8601 date' },
    { column: 'lifetime_value', type: 'DOUBLE', nulls: 0, invalid: 9, invalidRule: 'negative amount' },
  ],
  anomalies: ['page 57: metadata total_records changed from 100000 to 100003 mid-run'],
};

/** The same run failing in the middle of fetching, with nothing written or delivered. */
export const failedReport: RunReport = {
  ...sampleReport,
  status: 'failed',
  error: 'Page 42 kept failing with HTTP 503 after 8 attempts; rerun with the same run id to resume from the checkpoint.',
  timeline: timeline.slice(0, 4),
  pages: { staged: 41, skippedOnResume: 0, total: pages, records: 41_000 },
  records: { received: 41_000, unique: 40_990, duplicates: 10, withoutKey: 0, refused: 0, rejected: 0 },
  quality: [],
  anomalies: [],
} as RunReport;

// A failed run has no output or delivery: drop them rather than set them undefined.
delete (failedReport as { output?: unknown }).output;
delete (failedReport as { delivery?: unknown }).delivery;
