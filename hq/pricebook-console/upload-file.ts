import { xlsxToCsv, type SheetProblem } from './xlsx-book';

/**
 * The bytes of a price-book file uploaded on /pricebook, as the CSV text the kiosk's reader checks: an XLSX workbook
 * (recognised by the ZIP local-file-header magic `PK\x03\x04`, PKWARE APPNOTE.TXT 4.3.7) is converted sheet row by
 * CSV line (./xlsx-book.ts); anything else must be UTF-8 text (a BOM is dropped; invalid UTF-8 is refused, not
 * replaced). Bounded by {@link MAX_UPLOAD_BYTES} (the route's body limit: the console's own).
 */
export const MAX_UPLOAD_BYTES = 1024 * 1024;

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

export type UploadedText = { ok: true; csv: string; format: 'csv' | 'xlsx' } | { ok: false; problems: SheetProblem[] };

export async function uploadedBookText(bytes: Buffer): Promise<UploadedText> {
  const refuse = (reason: string): UploadedText => ({ ok: false, problems: [{ line: null, field: null, reason }] });
  if (bytes.length === 0) return refuse('the file is empty');
  if (bytes.length > MAX_UPLOAD_BYTES) return refuse(`the file is larger than ${MAX_UPLOAD_BYTES / (1024 * 1024)} MB`);
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) {
    const r = await xlsxToCsv(bytes);
    return r.ok ? { ok: true, csv: r.csv, format: 'xlsx' } : r;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return refuse('the file is neither an XLSX workbook nor UTF-8 CSV text');
  }
  return { ok: true, csv: text, format: 'csv' };
}
