/**
 * CSV for spreadsheets (RFC 4180 quoting, CRLF lines), UTF-8 with a byte-order mark so Excel reads Chinese as UTF-8.
 * Safe against formula injection (OWASP "CSV Injection"): a text cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return — or their full-width forms, which spreadsheets in Chinese locales also treat as formula starts — is
 * prefixed with `'` so the spreadsheet shows it as text. Numbers the code computed are written as numbers.
 */

/** A number literal the code produced (an integer, or money as a decimal such as `-12.34`): written as it is. */
export class CsvNumber {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RangeError(`not a number literal: ${JSON.stringify(text)}`);
  }
}

export type CsvValue = string | number | CsvNumber | null | undefined;

export interface CsvSection {
  /** A line before the header naming the section (omitted when undefined). */
  title?: string;
  header: readonly string[];
  rows: readonly (readonly CsvValue[])[];
}

export const BOM = '\uFEFF';

const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/;

/** One cell: numbers as they are, text quoted (always) with `"` doubled and formula starts defused. */
export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof CsvNumber) return v.text;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = FORMULA_START.test(v) ? `'${v}` : v;
  return `"${text.replace(/"/g, '""')}"`;
}

export const csvLine = (cells: readonly CsvValue[]): string => cells.map(csvCell).join(',');

/** A whole file: BOM, then each section (title line, header, rows), sections separated by an empty line. */
export function csvDocument(sections: readonly CsvSection[]): string {
  const blocks = sections.map((s) => [...(s.title === undefined ? [] : [csvLine([s.title])]), csvLine(s.header), ...s.rows.map(csvLine)].join('\r\n'));
  return BOM + blocks.join('\r\n\r\n') + '\r\n';
}

/** Minor units as a decimal literal for a spreadsheet: 1234 (2 digits) → `12.34`, -5 → `-0.05`. Integer arithmetic only. */
export function csvMoney(minor: number, digits: number): CsvNumber {
  const negative = minor < 0;
  const s = String(Math.abs(Math.trunc(minor))).padStart(digits + 1, '0');
  const text = digits > 0 ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
  return new CsvNumber(negative && /[1-9]/.test(text) ? `-${text}` : text);
}
