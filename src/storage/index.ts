export { createS3Client, S3_CLIENT_DEFAULTS, type S3ClientOptions } from './createS3Client.js';
export { checkBucketAccess, type BucketAccess, type BucketAccessOptions } from './checkBucketAccess.js';
export {
  deliverFile,
  partSizeFor,
  DELIVER_DEFAULTS,
  MIN_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  type DeliverFileOptions,
  type Delivery,
} from './deliverFile.js';
export { uploadReport, type UploadReportOptions, type ReportUpload } from './uploadReport.js';
export { abortStaleUploads, type StaleUploads } from './abortStaleUploads.js';
export { verifyStoredObject, type VerifiedBy, type Verification, type StoredChecksum } from './verifyStoredObject.js';
export { digestFile, expectedChecksum, partCount, type ChecksumAlgorithm, type FileDigest } from './fileDigest.js';
export {
  renderKey,
  dataKey,
  reportKey,
  reportKeyPattern,
  dayDataKeyPattern,
  schemaKey,
  partitionOf,
  ingestDateOf,
  keyTemplateProblems,
  objectKeyProblems,
  DEFAULT_KEY_TEMPLATE,
  DEFAULT_REPORT_KEY_TEMPLATE,
  KEY_PLACEHOLDERS,
  REPORT_EXTENSIONS,
  type KeyParts,
  type ReportKind,
  type KeyPattern,
  type KeyPlaceholder,
} from './objectKey.js';
export { redactKeyMaterial, describeS3Error, s3ErrorInfo, safeCause } from './s3ErrorText.js';
export { metadataProblems } from './objectMetadata.js';
export { listKeysMatching, type StoredKey } from './listKeysMatching.js';
export { readObjectText } from './readObjectText.js';
export { readStoredText, writeStoredText, StoreChangedError, type StoredText } from './storedText.js';
