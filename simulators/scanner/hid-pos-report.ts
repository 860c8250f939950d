import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';

/**
 * The simulator's own HID POS encoder: one read → the Scanned Data Reports a bar code scanner sends on usage page
 * 0x8C ("HID Point of Sale Usage Tables" 1.02, Bar Code Scanner Page). A report carries, at offsets fixed by the
 * device's report descriptor: the report id, a byte count, Symbology Identifier 1–3 (usages 0xFB–0xFD: the AIM
 * identifier `]Xm`), the Decoded Data bytes (0xFE, a buffered-bytes field padded with zeros) and the Decode Data
 * Continued flag (0xFF), set on every report of a read but the last.
 *
 * The default offsets are those of the 64-byte report descriptor Honeywell and Zebra scanners publish for HID POS
 * mode: id 0x02, count at 1, identifier at 2–4, 56 data bytes at 5–60, two vendor bytes (Honeywell code id) at
 * 61–62, flags at 63 with Decode Data Continued in bit 0. Other descriptors place the same usages elsewhere; give
 * their offsets in `format`.
 */
export interface ScannedDataReportFormat {
  /** Report id byte at offset 0, or `null` when the descriptor declares no report ids. */
  reportId: number | null;
  /** Offset of the byte count of this report's Decoded Data. */
  lengthOffset: number;
  /** Offset of Symbology Identifier 1 (2 and 3 follow), or `null` when the report has none. */
  aimOffset: number | null;
  /** Offset of the first Decoded Data byte. */
  dataOffset: number;
  /** Size of the Decoded Data field. */
  maxDataPerReport: number;
  /** Offset of the flags byte; negative counts from the end of the report. */
  flagsOffset: number;
  /** The Decode Data Continued bit(s) in the flags byte. */
  moreFlag: number;
  /** Size of a whole report. */
  reportSize: number;
}

export const SIM_DEFAULT_REPORT: Readonly<ScannedDataReportFormat> = Object.freeze({
  reportId: 0x02,
  lengthOffset: 1,
  aimOffset: 2,
  dataOffset: 5,
  maxDataPerReport: 56,
  flagsOffset: -1,
  moreFlag: 0x01,
  reportSize: 64,
});

export interface PosReportOptions {
  /** AIM symbology identifier for Symbology Identifier 1–3, e.g. `]E0`; default none (zeros). */
  aim?: string;
  format?: Partial<ScannedDataReportFormat>;
  /** How the scanner encodes the data: `latin1` (default) or `utf8`. */
  encoding?: 'latin1' | 'utf8';
  /** Vendor code-id byte written two bytes before the flags byte (where Honeywell puts its code id). */
  codeId?: number;
}

function checkedFormat(partial: Partial<ScannedDataReportFormat> | undefined): ScannedDataReportFormat & { flagsAt: number } {
  const f = { ...SIM_DEFAULT_REPORT, ...partial };
  const flagsAt = f.flagsOffset < 0 ? f.reportSize + f.flagsOffset : f.flagsOffset;
  const dataEnd = f.dataOffset + f.maxDataPerReport;
  const fits = dataEnd <= f.reportSize && flagsAt >= 0 && flagsAt < f.reportSize && f.maxDataPerReport > 0 && f.maxDataPerReport <= 0xff;
  if (!fits || (flagsAt >= f.dataOffset && flagsAt < dataEnd)) {
    throw new KioskError('CONFIG_INVALID', 'simulated HID POS report: the fields do not fit the report', { format: f });
  }
  return { ...f, flagsAt };
}

/** The Scanned Data Reports for one read: the data cut into Decoded Data fields, "continued" on all but the last. */
export function encodeHidPosReports(data: string, opts: PosReportOptions = {}): Buffer[] {
  const f = checkedFormat(opts.format);
  const bytes = opts.encoding === 'utf8' ? Buffer.from(data, 'utf8') : iconv.encode(data, 'latin1');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += f.maxDataPerReport) chunks.push(bytes.subarray(at, at + f.maxDataPerReport));
  if (chunks.length === 0) chunks.push(Buffer.alloc(0));
  return chunks.map((chunk, i) => {
    const report = Buffer.alloc(f.reportSize);
    if (f.reportId !== null) report[0] = f.reportId;
    report[f.lengthOffset] = chunk.length;
    if (f.aimOffset !== null && opts.aim) report.write(opts.aim.slice(0, 3), f.aimOffset, 'latin1');
    chunk.copy(report, f.dataOffset);
    const vendorAt = f.flagsAt - 2;
    if (opts.codeId !== undefined && vendorAt >= f.dataOffset + f.maxDataPerReport) report[vendorAt] = opts.codeId;
    if (i < chunks.length - 1) report[f.flagsAt] |= f.moreFlag;
    return report;
  });
}
