/** What a page's response says about paging: how many records it holds, and where paging goes next. */
export interface PageFacts {
  readonly count: number;
  readonly totalPages: number | undefined;
  readonly totalRecords: number | undefined;
  readonly hasNext: boolean | undefined;
  /** The next cursor or URL for chained paginators; null at the end; undefined otherwise. */
  readonly next: string | null | undefined;
}
