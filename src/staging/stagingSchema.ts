/**
 * The staging tables. One database file per run, but every row still carries `run_id` as
 * lineage. Times are UTC `TIMESTAMP`s taken from the injected clock.
 */
export const stagingSchemaSql = `
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY,
  status VARCHAR NOT NULL,
  options VARCHAR,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  output_path VARCHAR,
  output_format VARCHAR,
  output_rows BIGINT,
  output_bytes BIGINT,
  output_sha256 VARCHAR,
  output_crc32c VARCHAR,
  object_uri VARCHAR,
  object_etag VARCHAR,
  uploaded_at TIMESTAMP
);
-- A database staged before the options were kept (it kept only their hash).
ALTER TABLE runs ADD COLUMN IF NOT EXISTS options VARCHAR;
CREATE TABLE IF NOT EXISTS pages (
  run_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  records INTEGER NOT NULL,
  fetched_at TIMESTAMP NOT NULL,
  next_cursor VARCHAR,
  staged_at TIMESTAMP NOT NULL,
  attempts INTEGER NOT NULL,
  latency_ms DOUBLE NOT NULL,
  PRIMARY KEY (run_id, page)
);
-- Whether the page's text held a number long enough to be an integer beyond 2^53 (NULL: not known,
-- as for pages staged before it was kept): none in any page spares the final file looking for them.
ALTER TABLE pages ADD COLUMN IF NOT EXISTS long_numbers BOOLEAN;
CREATE TABLE IF NOT EXISTS raw_records (
  run_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  key VARCHAR,
  fetched_at TIMESTAMP NOT NULL,
  -- zstd instead of DuckDB's choice (FSST) for the records' text (openDatabase's stagingStorageVersion):
  -- 1,000,000 calm records staged alone peaked ~20 MB lower in a file of 85 MB instead of 160,
  -- at the same speed; a full scan of them costs ~20 % more.
  record JSON USING COMPRESSION zstd NOT NULL
);
-- Why a record was refused (src/staging/recordRefusal.ts): its text is kept as a JSON string, its key NULL.
ALTER TABLE raw_records ADD COLUMN IF NOT EXISTS refused VARCHAR;
-- Records that held a configured secret (src/staging/recordSecrets.ts): the fields (a JSON array of
-- paths, never the value) and whether it was masked before staging. Rare, so a table of its own.
CREATE TABLE IF NOT EXISTS record_secrets (
  run_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  fields VARCHAR NOT NULL,
  masked BOOLEAN NOT NULL
);
-- The groups of each page's keyed records by their top level (src/staging/pageShapes.ts), noted
-- while staging waits on the API, and per page a row with n = 0 that marks it noted.
CREATE TABLE IF NOT EXISTS page_shapes (
  run_id VARCHAR NOT NULL,
  page INTEGER NOT NULL,
  t VARCHAR,
  k VARCHAR[],
  ts VARCHAR[],
  first BIGINT,
  n BIGINT NOT NULL
);
-- Where each group's second record stands (NULL: a group of one, or a page noted before it was kept).
ALTER TABLE page_shapes ADD COLUMN IF NOT EXISTS second BIGINT;
`;

/** SQL for a TIMESTAMP from epoch milliseconds bound at `$n`. */
export const timestampFromMs = (param: string): string => `make_timestamp(CAST(${param} AS BIGINT) * 1000)`;
