import * as ExcelJS from 'exceljs';
import { checkZipBounds } from './zip-bounds';

/**
 * An uploaded XLSX price book turned into the CSV text the kiosk's reader (protocol/pricebook/reader.ts) checks —
 * so a workbook passes exactly the checks a CSV does. The first sheet; row 1 is the header with the CSV's column
 * names; each sheet row becomes one CSV line, so the reader's line numbers ARE the sheet's row numbers (empty rows
 * become blank lines, which the reader skips). Cells become the text the CSV would hold: strings as they are, whole
 * numbers as integers (`350` minor units, a barcode `6901234567892`), other numbers as written (`12.5`: the reader
 * refuses it on its row), booleans `true`/`false`, formulas their cached result. Dates, error values and line
 * breaks inside a cell are refused with their row. Bounded before anything is inflated (./zip-bounds.ts).
 */
export const XLSX_LIMITS = {
  /** Uncompressed bytes of every part of the workbook together. */
  maxUncompressedBytes: 32 * 1024 * 1024,
  maxEntries: 200,
  /** Rows of the first sheet, header included. */
  maxRows: 20_001,
  maxColumns: 64,
} as const;

export interface SheetProblem {
  line: number | null;
  field: string | null;
  reason: string;
}

export type XlsxConversion = { ok: true; csv: string } | { ok: false; problems: SheetProblem[] };

/** Upper bound on the problems one conversion lists (as the reader's MAX_PROBLEMS). */
const MAX_PROBLEMS = 50;

type Cell = { text: string } | { problem: string };

function cellText(v: ExcelJS.CellValue): Cell {
  if (v === null || v === undefined) return { text: '' };
  if (typeof v === 'string') return { text: v };
  if (typeof v === 'boolean') return { text: v ? 'true' : 'false' };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { problem: `not a number: ${v}` };
    // whole numbers as integers (no exponent, no ".0"); beyond 2^53 Excel has already lost digits: refused
    if (Number.isInteger(v)) return Number.isSafeInteger(v) ? { text: v.toFixed(0) } : { problem: `a number too large to be exact (${v}): store it as text` };
    return { text: String(v) };
  }
  if (v instanceof Date) return { problem: 'a date cell is not accepted: use text or whole minor units' };
  if ('error' in v) return { problem: `an error cell (${v.error})` };
  if ('richText' in v) return { text: v.richText.map((r) => r.text).join('') };
  if ('hyperlink' in v) return { text: typeof v.text === 'string' ? v.text : '' };
  if ('formula' in v || 'sharedFormula' in v) {
    const r = v.result;
    if (r === undefined) return { problem: 'a formula without a calculated value' };
    return cellText(r);
  }
  return { problem: 'an unsupported cell value' };
}

const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** The CSV text of the first sheet of `bytes` (an XLSX file), or the problems by sheet row. */
export async function xlsxToCsv(bytes: Buffer): Promise<XlsxConversion> {
  const fileProblem = (reason: string): XlsxConversion => ({ ok: false, problems: [{ line: null, field: null, reason }] });
  const bounds = checkZipBounds(bytes, XLSX_LIMITS);
  if (!bounds.ok) return fileProblem(bounds.reason);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  } catch (e) {
    return fileProblem(`not a readable XLSX workbook (${e instanceof Error ? e.message.slice(0, 200) : 'unknown fault'})`);
  }
  const ws = wb.worksheets[0];
  if (!ws) return fileProblem('the workbook has no sheet');
  if (ws.rowCount > XLSX_LIMITS.maxRows) return fileProblem(`the sheet has ${ws.rowCount} rows (at most ${XLSX_LIMITS.maxRows}, the header included)`);
  if (ws.columnCount > XLSX_LIMITS.maxColumns) return fileProblem(`the sheet has ${ws.columnCount} columns (at most ${XLSX_LIMITS.maxColumns})`);

  const problems: SheetProblem[] = [];
  const header: string[] = [];
  const headerRow = ws.getRow(1);
  for (let c = 1; c <= headerRow.cellCount; c++) {
    const t = cellText(headerRow.getCell(c).value);
    header.push('text' in t ? t.text.trim() : '');
  }
  while (header.length && header[header.length - 1] === '') header.pop();
  if (!header.length) return fileProblem('row 1 of the first sheet must be the header (sku, barcodes, name_…, unit_price, tax_class, age_limit, sold_by_weight)');

  const lines: string[] = [];
  for (let r = 1; r <= ws.rowCount && problems.length < MAX_PROBLEMS; r++) {
    const row = ws.getRow(r);
    const fields: string[] = [];
    for (let c = 1; c <= Math.max(row.cellCount, header.length); c++) {
      const field = header[c - 1] ?? null;
      const t = cellText(row.getCell(c).value);
      if ('problem' in t) problems.push({ line: r, field, reason: t.problem });
      else if (c > header.length) {
        if (t.text.trim() !== '') problems.push({ line: r, field: null, reason: `a value in column ${c}, right of the header's last column` });
      } else if (/[\r\n]/.test(t.text)) problems.push({ line: r, field, reason: 'a line break inside a cell' });
      else fields.push(t.text);
    }
    lines.push(fields.length === header.length ? fields.map(quote).join(',') : '');
  }
  if (problems.length) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS) };
  return { ok: true, csv: `${lines.join('\n')}\n` };
}
