// `ingest/report`: a RunReport rendered as Markdown, HTML or a terminal summary, and written to files.
export { renderMarkdown, type RenderOptions } from '../report/renderMarkdown.js';
export { renderHtml } from '../report/renderHtml.js';
export { renderSummary, type SummaryOptions } from '../report/renderSummary.js';
export { writeReportFiles, type ReportFiles } from '../report/writeReportFiles.js';
export type { RunReport } from '../report/runReport.js';
