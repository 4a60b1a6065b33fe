import { readFile } from 'node:fs/promises';
import type { ResolvedRunConfig } from '../../config/loadRunConfig.js';
import { schemaPathFor, type FieldRule } from '../../output/index.js';
import { checkConsistency } from '../../report/checkConsistency.js';
import { conflictAnomaly } from '../../report/conflictAnomaly.js';
import { secretsAnomaly } from '../../report/secretsAnomaly.js';
import type { PaceStart } from '../../pacing/rateLimiter.js';
import type { RunReport } from '../../report/runReport.js';
import { writeReportFiles } from '../../report/writeReportFiles.js';
import type { ResumeState } from '../../run/runTypes.js';
import { deliverFile, uploadReport } from '../../storage/index.js';
import { findPreviousRun } from '../findPreviousRun.js';
import { fileSchemaAt } from '../datasetSchemaStore.js';
import type { IngestionRunDeps } from '../provideIngestionRun.js';
import type { RunServices } from '../runServices.js';
import type { StagingFigures } from '../stagingFigures.js';

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

/**
 * The draft completed with what only SQL over the staged records can tell and, for a delivered
 * run, the comparison with the previous run; written locally (JSON, Markdown, HTML) and uploaded
 * beside the data with the rejects (a failed run's report stays local when the store refuses it),
 * and the checkpoint marked finished once a succeeded run's report is delivered. A rerun of a
 * finished run writes none: the reports of the attempt that delivered it stay.
 */
export function writeReport(
  config: ResolvedRunConfig,
  { runtime, logger, s3, store, paths, keys }: RunServices,
  resume: ResumeState,
  figures: StagingFigures,
  pace: PaceStart,
): IngestionRunDeps['writeReport'] {
  const write: IngestionRunDeps['writeReport'] = async (draft, signal) => {
    const sql = await figures.get();
    // The file's own count when one was written; else what the rules would reject.
    const rejected = draft.output ? draft.records.rejected : config.transform === 'clean' ? sql.records.rejectedByRules : 0;
    const { cancelled: _cancelled, ...base } = draft;
    const found = sql.secretsInRecords.records > 0 ? sql.secretsInRecords : undefined;
    // A version hidden among duplicates would be silent loss, a secret in the data a silent leak: both are named.
    const anomalies = [conflictAnomaly(sql.conflicts), secretsAnomaly(found)].filter((a) => a !== undefined);
    let report: RunReport = {
      ...base,
      requests: { ...base.requests, pace },
      pages: { ...draft.pages, staged: sql.pages.count - (resume.pagesStaged ?? 0), records: sql.pages.records },
      records: {
        received: sql.records.received,
        unique: sql.records.unique,
        duplicates: sql.records.duplicates,
        ...(sql.conflicts.keys > 0 ? { conflicts: sql.conflicts } : {}),
        withoutKey: sql.records.unkeyed,
        refused: sql.records.refused,
        rejected,
      },
      ...(found ? { secretsInRecords: found } : {}),
      anomalies: [...draft.anomalies, ...anomalies],
      quality: sql.columns.map((c) => ({
        column: c.name,
        type: Object.keys(c.types).join(' | ') || 'NULL',
        nulls: c.nulls,
        invalid: c.invalid ?? 0,
        ...(c.rule ? { invalidRule: ruleMeaning[c.rule] } : {}),
      })),
    };
    const schema = draft.output && draft.delivery && (await fileSchemaAt(schemaPathFor(draft.output.path)));
    if (schema && config.transform === 'none') {
      report = {
        ...report,
        schema: { uri: `s3://${config.bucket}/${keys.schema}`, columns: schema.columns },
        schemaChanges: schema.changes,
      };
    }
    if (schema?.renamed?.length) report = { ...report, renamedFields: schema.renamed };
    // A report is a proof or the run fails: a count that does not add up is the run's failure, not a warning.
    const broken = checkConsistency(report).filter((c) => !c.ok);
    if (report.status === 'succeeded' && broken.length > 0) {
      report = {
        ...report,
        status: 'failed',
        error: `The report does not add up: ${broken.map((c) => c.detail).join('; ')}; the checkpoint is kept.`,
      };
    }
    if (report.status === 'succeeded' && resume.delivery && report.delivery) {
      // A rerun of a finished run fetched nothing: the delivering attempt's reports stay the run's
      // record, locally and in the store, rather than one of a run that did nothing.
      const rejectsUri = report.output?.rejectsPath ? { rejectsUri: `s3://${config.bucket}/${keys.rejects}` } : {};
      return {
        ...report,
        delivery: {
          ...report.delivery,
          reportUri: `s3://${config.bucket}/${keys.json}`,
          htmlReportUri: `s3://${config.bucket}/${keys.html}`,
          ...rejectsUri,
        },
      };
    }
    if (report.status === 'succeeded' && report.delivery) {
      const previous = await findPreviousRun({
        client: s3,
        bucket: config.bucket,
        prefix: config.prefix,
        dataset: config.dataset,
        ownKey: keys.json,
        quality: report.quality,
        logger,
        signal,
      });
      const rejectsPath = report.output?.rejectsPath;
      // The rejects go beside the report: the data partition holds only the data file.
      const rejects = rejectsPath
        ? await deliverFile({
            client: s3,
            bucket: config.bucket,
            key: keys.rejects,
            filePath: rejectsPath,
            checksum: config.checksum,
            contentType: 'application/x-ndjson',
            metadata: { 'run-id': config.runId, dataset: config.dataset, 'ingest-date': config.ingestDate },
            signal,
            logger,
          })
        : undefined;
      report = {
        ...report,
        delivery: {
          ...report.delivery,
          reportUri: `s3://${config.bucket}/${keys.json}`,
          htmlReportUri: `s3://${config.bucket}/${keys.html}`,
          ...(rejects ? { rejectsUri: rejects.uri } : {}),
        },
        ...(previous ? { previous } : {}),
      };
    }
    // The bytes uploaded are the local files' bytes: written once, redacted once.
    const files = await writeReportFiles(report, paths.reports);
    // Three small PUTs at once rather than three round trips in turn; all settle before a failure is thrown.
    const upload = async (): Promise<void> => {
      const sent = await Promise.allSettled(
        (
          [
            [keys.json, files.json, 'application/json'],
            [keys.md, files.markdown, 'text/markdown; charset=utf-8'],
            [keys.html, files.html, 'text/html; charset=utf-8'],
          ] as const
        ).map(async ([key, path, contentType]) =>
          uploadReport({ client: s3, bucket: config.bucket, key, body: await readFile(path, 'utf8'), contentType, signal }),
        ),
      );
      for (const result of sent) if (result.status === 'rejected') throw result.reason;
    };
    if (report.status === 'succeeded') {
      await upload();
      await store.markFinished();
    } else {
      await upload().catch((error: unknown) => logger.warn({ err: error }, 'the report of the failed run stays local'));
    }
    return report;
  };
  return (draft, signal) => runtime.clock.track(write(draft, signal));
}
