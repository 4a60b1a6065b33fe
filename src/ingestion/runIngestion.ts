import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tap } from 'rxjs';
import type { StateValue } from 'xstate';
import { AuthClient } from '../auth/authClient.js';
import type { AuthProvider } from '../auth/authProvider.js';
import { NoAuth, StaticBearerAuth } from '../auth/staticAuth.js';
import { resolveRunConfig, type ResolvedRunConfig } from '../config/loadRunConfig.js';
import type { RunConfigInput } from '../config/runConfig.js';
import { crashPoint } from '../faults/crashPoint.js';
import { loggerFor, registerSecret } from '../logging/index.js';
import { runIngestionMachine, type IngestionRunDeps } from '../machine/provideIngestionRun.js';
import type { Inspect } from '../machine/runMachine.js';
import type { Delivery, DraftReport, ResumeState, WrittenFile } from '../machine/runTypes.js';
import { flattenStateValue } from '../machine/timelineRecorder.js';
import { outputFormats } from '../output/formats.js';
import { customerCleanSchema, orderCleanSchema, writeFinalFile, isOutputIntact, rejectsPathFor, type FieldRule } from '../output/index.js';
import { pageStream, type PageStream } from '../paging/pageStream.js';
import type { StreamEvent } from '../paging/streamEvent.js';
import type { RunReport } from '../report/runReport.js';
import { writeReportFiles } from '../report/writeReportFiles.js';
import { clockScheduler } from '../runtime/clockScheduler.js';
import { createRuntime, type Runtime } from '../runtime/runtime.js';
import { StagingStore, stagingReport, type RunState } from '../staging/index.js';
import { checkBucketAccess, createS3Client, deliverFile, renderKey, reportKey, uploadReport } from '../storage/index.js';
import { landedSchemaFor } from './landedSchemaFor.js';
import { pagingFor } from './pagingFor.js';
import { runPaths } from './runPaths.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** How a run is carried out, beside what it ingests. */
export interface RunIngestionContext {
  /** Aborting it stops the run at a page boundary; the report says it was cancelled. */
  readonly signal?: AbortSignal;
  /** Clock, randomness, fetch and logger; real defaults for what is not given. */
  readonly runtime?: Partial<Runtime>;
  /** Observers of the run machine's inspection events (e.g. the Stately inspector). */
  readonly inspect?: Inspect | readonly Inspect[];
  /** Every page-stream event, as the machine sees it: for progress displays. */
  readonly onEvent?: (event: StreamEvent) => void;
  /** The machine's state each time it changes, e.g. `ingesting.backingOff`. */
  readonly onState?: (state: string) => void;
  /** S3 credentials; default the AWS SDK's standard chain (env, profile, instance role). */
  readonly s3Credentials?: S3Credentials;
}

/** Pages held at once (in flight or awaiting staging); a calm API needs no more to run at full speed. */
const maxPagesInMemory = 16;
/**
 * Reopening the staging database (`StagingStore.releaseMemory`) costs ~40 ms of CPU, a fifth of a
 * small run, and what DuckDB keeps after staging or writing grows with the data: worth it from
 * this much staged data on (~10,000 simulator records; at 100,000 it dropped ~70 MB).
 */
const releaseMemoryFromBytes = 4 * 1024 * 1024;

/** Reopens the staging database when it holds `releaseMemoryFromBytes` or more (file and WAL). */
async function releaseMemoryIfLarge(store: StagingStore): Promise<void> {
  const bytes = [store.path, `${store.path}.wal`].reduce((sum, p) => sum + (statSync(p, { throwIfNoEntry: false })?.size ?? 0), 0);
  if (bytes >= releaseMemoryFromBytes) await store.releaseMemory();
}

/** The options that decide which records land on which page: a resume with other values is refused. */
function pagingFingerprint(config: ResolvedRunConfig): string {
  const { apiUrl, endpoint, pagination, pageSize, recordsPath, keyField } = config;
  return createHash('sha256').update(JSON.stringify({ apiUrl, endpoint, pagination, pageSize, recordsPath, keyField })).digest('hex');
}

/** What a value breaking a cleaning rule is, in the report's words. */
const ruleMeaning: Readonly<Record<FieldRule, string>> = {
  integer: 'not an integer',
  text: 'not text',
  email: 'not a valid email address',
  date: 'not a recognisable date',
  timestamp: 'not a recognisable timestamp',
  number: 'not a number',
  boolean: 'not a boolean',
  json: 'not JSON',
};

/** ETL rules for the simulator's datasets; other endpoints get text trimming only. */
function cleanSchemaFor(endpoint: string): Readonly<Record<string, FieldRule>> {
  if (endpoint.endsWith('/customers')) return customerCleanSchema;
  if (endpoint.endsWith('/orders')) return orderCleanSchema;
  return {};
}

function authFor(config: ResolvedRunConfig, runtime: Runtime): AuthProvider {
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

/** The file's checksum in the form the object store compares: base64 of CRC-32C or SHA-256. */
function storeChecksum(file: Readonly<{ crc32c: string; sha256: string }>, algorithm: ResolvedRunConfig['checksum']): string {
  return algorithm === 'CRC32C' ? file.crc32c : Buffer.from(file.sha256, 'hex').toString('base64');
}

async function countLines(path: string): Promise<number> {
  try {
    await access(path);
  } catch {
    return 0;
  }
  let lines = 0;
  for await (const _ of createInterface({ input: createReadStream(path) })) lines++;
  return lines;
}

/** What an earlier attempt with this run id finished, so that it is not done again. */
async function resumeStateOf(
  store: StagingStore,
  state: RunState,
  committedPages: number,
  algorithm: ResolvedRunConfig['checksum'],
): Promise<ResumeState> {
  const output = state.output;
  const intact = output !== null && (await isOutputIntact(output));
  const counts = intact ? await store.counts() : undefined;
  const file: WrittenFile | undefined =
    intact && output && counts
      ? {
          format: output.format,
          path: output.path,
          bytes: output.bytes,
          rows: output.rows,
          sha256: output.sha256,
          checksum: storeChecksum(output, algorithm),
          duplicatesDropped: counts.duplicates,
          rejected: await countLines(rejectsPathFor(output.path)),
        }
      : undefined;
  // A finished run whose local file is gone is still delivered: never rewrite it (new bytes, new checksum).
  const delivery: Delivery | undefined =
    state.status === 'finished' && state.upload
      ? { uri: state.upload.uri, status: 'alreadyDelivered', verifiedBy: 'checkpoint' }
      : undefined;
  return { pagesStaged: committedPages, ...(file ? { file } : {}), ...(delivery ? { delivery } : {}) };
}

/**
 * One ingestion run: every record of the endpoint staged in DuckDB page by page, one final
 * file written from it, delivered to S3 and verified, and the report written. Resolves to the
 * report, for a failed run too; rejects only with a ConfigError (nothing fetched) or when the
 * run id is already running elsewhere.
 */
export async function runIngestion(options: RunConfigInput, context: RunIngestionContext = {}): Promise<RunReport> {
  const runtime = createRuntime(context.runtime);
  const config = resolveRunConfig(options, new Date(runtime.clock.now()));
  for (const secret of [config.password, config.token, context.s3Credentials?.secretAccessKey, context.s3Credentials?.sessionToken]) {
    registerSecret(secret);
  }
  const logger = loggerFor(runtime.logger, 'ingestion');
  const { clock } = runtime;
  const paths = runPaths(config);
  const parts = { prefix: config.prefix, dataset: config.dataset, ingestDate: config.ingestDate, runId: config.runId };
  const key = renderKey({ ...parts, ext: outputFormats[config.format].extension }, config.keyTemplate);
  const s3 = createS3Client({
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    ...(context.s3Credentials ? { credentials: context.s3Credentials } : {}),
  });
  const auth = authFor(config, runtime);
  const store = await StagingStore.open(
    {
      path: paths.staging,
      runId: config.runId,
      optionsHash: pagingFingerprint(config),
      memoryLimit: config.duckdbMemoryLimit,
      ...(config.duckdbTempDir ? { tempDirectory: config.duckdbTempDir } : {}),
    },
    runtime,
  );
  try {
    const committed = await store.committedPages();
    const checkpoint = config.pagination === 'cursor' || config.pagination === 'link' ? await store.lastCheckpoint() : undefined;
    const resume = await resumeStateOf(store, await store.runState(), committed.length, config.checksum);
    if (committed.length > 0)
      logger.info({ runId: config.runId, pages: committed.length }, 'resuming: committed pages are not fetched again');
    let stream: PageStream | undefined;

    const deps: IngestionRunDeps = {
      // Real I/O is tracked so that a simulated clock stands still meanwhile; login is not: it waits on the clock.
      async prepare(_input, signal) {
        // Reachable bucket and valid credentials; write access is proven by the upload itself (a
        // write probe would leave an unabortable multipart upload on stores like s3rver).
        await clock.track(checkBucketAccess(s3, config.bucket, { signal }));
        await auth.getAuthHeader(signal);
      },
      fetchPages(_input, signal) {
        stream = pageStream(
          {
            url: new URL(config.endpoint.replace(/^\//, ''), config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`).toString(),
            paging: pagingFor(config),
            resume:
              checkpoint !== undefined ? { lastPage: checkpoint.page, nextCursor: checkpoint.nextCursor } : { committedPages: committed },
            signal,
            // The run options, under the same names and units.
            maxPages: config.maxPages,
            maxAttemptsPerPage: config.maxAttemptsPerPage,
            maxWaitSeconds: config.maxWaitSeconds,
            timeoutSeconds: config.timeoutSeconds,
            deadlineSeconds: config.deadlineSeconds,
            rateLimit: config.rateLimit,
            maxRate: config.maxRate,
            maxRetryShare: config.maxRetryShare,
            keepRawRecords: true,
            // Each slot holds a page from request until staged: this bounds the memory of the fetch phase.
            maxInFlight: maxPagesInMemory,
          },
          {
            runtime,
            auth,
            scheduler: clockScheduler(clock),
            stage: async (page) => {
              await store.stagePage({ ...page, keyField: config.keyField });
            },
          },
        );
        return context.onEvent ? stream.pipe(tap(context.onEvent)) : stream;
      },
      async writeFinalFile() {
        // Staging leaves DuckDB holding memory that grows with the records staged; the writer starts without it.
        await releaseMemoryIfLarge(store);
        const file = await clock.track(
          writeFinalFile(store, {
            format: config.format,
            path: paths.output,
            transform: config.transform,
            keyField: config.keyField,
            cleanSchema: cleanSchemaFor(config.endpoint),
            // ETL's schema is the cleaning schema; ELT would have only the lineage columns without records.
            ...(config.transform === 'none' ? { expectedSchema: landedSchemaFor(cleanSchemaFor(config.endpoint)) } : {}),
          }),
        );
        await store.recordOutput(file);
        return {
          format: file.format,
          path: file.path,
          bytes: file.bytes,
          rows: file.rows,
          sha256: file.sha256,
          checksum: storeChecksum(file, config.checksum),
          duplicatesDropped: file.duplicatesDropped,
          rejected: file.rejected,
          ...(file.rejected > 0 ? { rejectsPath: file.rejectsPath } : {}),
        };
      },
      async uploadFile({ file }, signal) {
        // Likewise what the writer (or a resume's counts) left: the upload's buffers and the report come on top of it.
        await releaseMemoryIfLarge(store);
        const delivery = await clock.track(
          deliverFile({
            client: s3,
            bucket: config.bucket,
            key,
            filePath: file.path,
            checksum: config.checksum,
            sha256: file.sha256,
            ...(config.checksum === 'CRC32C' ? { crc32c: file.checksum } : {}),
            contentType: outputFormats[config.format].contentType,
            metadata: { 'run-id': config.runId, dataset: config.dataset, 'ingest-date': config.ingestDate },
            ...(config.s3PartSizeMb ? { partSize: config.s3PartSizeMb * 1024 * 1024 } : {}),
            signal,
            logger,
          }),
        );
        crashPoint('upload.afterUpload');
        await store.recordUpload({ uri: delivery.uri, etag: delivery.etag ?? null });
        return { uri: delivery.uri, status: delivery.status, verifiedBy: delivery.verifiedBy };
      },
      writeReport: (draft, signal) => clock.track(writeReport(draft, signal)),
    };

    async function writeReport(draft: DraftReport, signal: AbortSignal): Promise<RunReport> {
      const sql = await stagingReport(store, cleanSchemaFor(config.endpoint), config.keyField);
      const stats = stream?.stats();
      const rejected = draft.output
        ? draft.records.rejected
        : sql.records.unkeyed + (config.transform === 'clean' ? sql.records.rejectedByRules : 0);
      const { cancelled: _cancelled, ...base } = draft;
      let report: RunReport = {
        ...base,
        // The stream counts every attempt (401s included); the events cover the same ground otherwise.
        requests: stats
          ? {
              ...draft.requests,
              total: stats.requests,
              byStatus: stats.requestsByStatus,
              retries: stats.retries,
              retriesByStatus: stats.retriesByStatus,
              rateLimited: stats.rateLimited,
              // The client's own count: a token from the pre-flight login, replaced before any page used it, is a refresh too.
              tokenRefreshes: auth instanceof AuthClient ? auth.stats.refreshes : stats.refreshes,
            }
          : draft.requests,
        pages: { ...draft.pages, staged: sql.pages.count - resume.pagesStaged! },
        records: { received: sql.records.received, unique: sql.records.unique, duplicates: sql.records.duplicates, rejected },
        quality: sql.columns.map((c) => ({
          column: c.name,
          type: Object.keys(c.types).join(' | ') || 'NULL',
          nulls: c.nulls,
          invalid: c.invalid ?? 0,
          ...(c.rule ? { invalidRule: ruleMeaning[c.rule] } : {}),
        })),
      };
      const reportKeyOptions = config.keyTemplate ? { dataKeyTemplate: config.keyTemplate } : {};
      const reportKeys = { json: reportKey(parts, 'json', reportKeyOptions), md: reportKey(parts, 'md', reportKeyOptions) };
      if (report.status === 'succeeded' && report.delivery) {
        report = { ...report, delivery: { ...report.delivery, reportUri: `s3://${config.bucket}/${reportKeys.json}` } };
      }
      // The bytes uploaded are the local files' bytes: written once, redacted once.
      const files = await writeReportFiles(report, paths.reports);
      const upload = async (): Promise<void> => {
        for (const [key, path, contentType] of [
          [reportKeys.json, files.json, 'application/json'],
          [reportKeys.md, files.markdown, 'text/markdown; charset=utf-8'],
        ] as const) {
          await uploadReport({ client: s3, bucket: config.bucket, key, body: await readFile(path, 'utf8'), contentType, signal });
        }
      };
      if (report.status === 'succeeded') {
        await upload();
        await store.markFinished();
      } else {
        await upload().catch((error: unknown) => logger.warn({ err: error }, 'the report of the failed run stays local'));
      }
      return report;
    }

    let lastState = '';
    const stateInspector: Inspect | undefined = context.onState
      ? (event) => {
          if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
          const value = (event.snapshot as { value?: StateValue }).value;
          const state = value === undefined ? lastState : flattenStateValue(value);
          if (state !== lastState) context.onState?.((lastState = state));
        }
      : undefined;
    const inspect = [
      ...(stateInspector ? [stateInspector] : []),
      ...(Array.isArray(context.inspect) ? context.inspect : context.inspect ? [context.inspect as Inspect] : []),
    ];
    return await runIngestionMachine(
      deps,
      { runId: config.runId, dataset: config.dataset, endpoint: config.endpoint, transform: config.transform, resume },
      { clock, inspect, ...(context.signal ? { signal: context.signal } : {}) },
    );
  } finally {
    await store.close();
    s3.destroy();
    auth.close?.();
  }
}
