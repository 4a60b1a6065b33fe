/** The records of a page given as parsed records or, without them, as their texts. */
export const recordCount = (page: {
  readonly records?: readonly unknown[] | undefined;
  readonly rawRecords?: readonly string[] | undefined;
}): number => page.records?.length ?? page.rawRecords?.length ?? 0;
