// `ingest/storage`: S3 delivery with verification (its error: UploadError in `ingest`). The local
// S3-compatible server is `ingest/local-s3`, apart, so that this does not load it.
export {
  createS3Client,
  checkBucketAccess,
  deliverFile,
  renderKey,
  type S3ClientOptions,
  type BucketAccess,
  type BucketAccessOptions,
  type DeliverFileOptions,
  type Delivery,
  type KeyParts,
} from '../storage/index.js';
