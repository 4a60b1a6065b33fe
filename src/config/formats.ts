/**
 * Every final-file format, with what naming and delivering a file of it needs: the one place
 * formats are declared (the run option's values, the object key's extension, the S3 content
 * type). It lives with the options, the lowest layer that needs it.
 */
export const outputFormats = {
  parquet: { extension: 'parquet', contentType: 'application/vnd.apache.parquet' },
  ndjson: { extension: 'ndjson', contentType: 'application/x-ndjson' },
  csv: { extension: 'csv', contentType: 'text/csv; charset=utf-8' },
  json: { extension: 'json', contentType: 'application/json' },
} as const satisfies Readonly<Record<string, { readonly extension: string; readonly contentType: string }>>;

export type OutputFormat = keyof typeof outputFormats;

/** The format names, in declaration order. */
export const outputFormatNames = Object.keys(outputFormats) as [OutputFormat, ...OutputFormat[]];
