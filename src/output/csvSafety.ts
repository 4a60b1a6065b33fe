/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts with
 * = + - @ TAB or CR is prefixed with a single quote, so spreadsheets show it as text. A cell
 * that already starts with a quote is prefixed too, which makes the escape reversible:
 * strip exactly one leading quote from any text cell to get the original value back
 * (`unescapeCsvCell`). Numeric and boolean columns are written as they are.
 */
export const csvFormulaLead = /^[=+\-@\t\r']/;

export function escapeCsvCell(value: string): string {
  return csvFormulaLead.test(value) ? `'${value}` : value;
}

export function unescapeCsvCell(value: string): string {
  return value.startsWith("'") ? value.slice(1) : value;
}

/** The same escape as `escapeCsvCell`, in SQL, for a VARCHAR expression. */
export const escapeCsvCellSql = (expr: string): string =>
  `CASE WHEN regexp_matches(${expr}, '^[=+\\-@\\t\\r'']') THEN '''' || ${expr} ELSE ${expr} END`;
