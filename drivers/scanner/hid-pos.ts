import { KioskError } from '../../kernel/errors';
import { AUTO_ENCODING, DEFAULT_ALLOWED_CONTROLS, MAX_READ_LENGTH, checkEncoding, decodeReadBytes, hexPreview, protocolError } from './read-text';

/**
 * Decoder for USB HID POS barcode scanner input reports (HID Usage Page 0x8C "Bar Code Scanner", Scanned Data
 * Report). A scanner in "HID POS" / "USB HID bar code scanner" mode does not type: it sends its reads as reports,
 * with no keyboard-layout translation and no keystrokes reaching the console.
 *
 * ## Report layout (default: `HONEYWELL_HID_POS`, the 64-byte input report of Honeywell scanners in HID POS mode)
 *
 * | byte    | content                                                                                  |
 * |---------|------------------------------------------------------------------------------------------|
 * | 0       | report id `0x02` (Scanned Data Report)                                                   |
 * | 1       | number of data bytes in THIS report (0–56)                                               |
 * | 2–4     | AIM symbology identifier, 3 ASCII bytes including `]`, e.g. `]E0`; `00 00 00` = none       |
 * | 5–60    | data bytes (only the first `byte 1` are meaningful; the rest is padding)                  |
 * | 61–62   | vendor symbology code (Honeywell code id); ignored                                       |
 * | 63      | flags: bit 0 (`0x01`) set = more reports follow for this read                            |
 *
 * A read longer than 56 bytes spans several reports: each carries the same AIM identifier and the flag set, the
 * last one has the flag clear. The decoder concatenates the data bytes and decodes the whole read once (so a UTF-8
 * sequence split across reports decodes correctly). Every offset is configurable (`HidPosReportFormat`); a
 * negative `flagsOffset` counts from the end of the report as delivered. Other vendors' HID POS firmwares (Zebra,
 * Datalogic) carry the same Scanned Data Report usages but may place them differently: read the offsets off the
 * scanner's report descriptor and configure `format` when they differ.
 *
 * ## Errors and resynchronisation
 * A malformed report (too short, length byte beyond the data area, AIM changing in the middle of a read), a read
 * longer than `maxLength`, or bytes no scanner sends yield a `PROTOCOL` `KioskError`; the decoder then discards
 * reports up to and including the next one without the "more" flag, and the read after that decodes normally.
 * A report without the "more" flag therefore always ends whatever was in progress: it is the resync point.
 * Reports with another report id (status, feature replies) are not scanned data and are ignored.
 *
 * `raw` is the AIM identifier followed by the data (as `parseScan` expects), unless `includeAim` is false.
 */
export interface HidPosReportFormat {
  /** First byte of every scanned-data report; `null` when the device uses no report ids. Default 0x02. */
  reportId: number | null;
  /** Offset of the data-length byte. Default 1. */
  lengthOffset: number;
  /** Offset of the 3 AIM bytes, or `null` when the format has none. Default 2. */
  aimOffset: number | null;
  /** Offset of the first data byte. Default 5. */
  dataOffset: number;
  /** Most data bytes one report carries. Default 56. */
  maxDataPerReport: number;
  /** Offset of the flags byte; negative counts from the end of the report. Default -1 (byte 63 of 64). */
  flagsOffset: number;
  /** Bit(s) of the flags byte meaning "more reports follow". Default 0x01. */
  moreFlag: number;
  /** Size of a whole report (used by encoders / simulators to pad). Default 64. */
  reportSize: number;
}

export const HONEYWELL_HID_POS: Readonly<HidPosReportFormat> = Object.freeze({
  reportId: 0x02,
  lengthOffset: 1,
  aimOffset: 2,
  dataOffset: 5,
  maxDataPerReport: 56,
  flagsOffset: -1,
  moreFlag: 0x01,
  reportSize: 64,
});

export interface HidPosDecoderOptions {
  format?: Partial<HidPosReportFormat>;
  /** Longest read (data bytes, all reports together). Default 8192 (`MAX_READ_LENGTH`). */
  maxLength?: number;
  /** `auto` (default: UTF-8 when the read is valid UTF-8, else Latin-1), `utf8`, `latin1` or an iconv-lite code page. */
  encoding?: string;
  /** Put the AIM identifier in front of the data in `raw` (default true). */
  includeAim?: boolean;
  allowedControls?: number[];
}

export interface HidRead {
  /** AIM identifier (when present and `includeAim`) + data. */
  raw: string;
  aim?: string;
}

export type HidDecodeResult = HidRead | KioskError;

/** Something that turns HID input reports into reads (HID POS and keyboard wedge). */
export interface HidReportDecoder {
  push(report: Uint8Array): HidDecodeResult[];
  /** Drops a read in progress; returns true when there was one. */
  reset(): boolean;
}

export function resolveHidPosFormat(partial: Partial<HidPosReportFormat> = {}): HidPosReportFormat {
  const f: HidPosReportFormat = { ...HONEYWELL_HID_POS, ...partial };
  const problems: string[] = [];
  const byte = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xff;
  if (f.reportId !== null && !byte(f.reportId)) problems.push('reportId must be a byte or null');
  for (const k of ['lengthOffset', 'dataOffset', 'maxDataPerReport', 'reportSize'] as const) {
    if (!Number.isInteger(f[k]) || f[k] < 0) problems.push(`${k} must be a non-negative integer`);
  }
  if (f.aimOffset !== null && (!Number.isInteger(f.aimOffset) || f.aimOffset < 0)) problems.push('aimOffset must be a non-negative integer or null');
  if (!Number.isInteger(f.flagsOffset)) problems.push('flagsOffset must be an integer');
  if (!byte(f.moreFlag) || f.moreFlag === 0) problems.push('moreFlag must be a non-zero byte');
  if (f.maxDataPerReport > 255) problems.push('maxDataPerReport must fit the length byte');
  const flagsAt = f.flagsOffset < 0 ? f.reportSize + f.flagsOffset : f.flagsOffset;
  if (f.dataOffset + f.maxDataPerReport > f.reportSize) problems.push('data area exceeds reportSize');
  if (flagsAt >= f.dataOffset && flagsAt < f.dataOffset + f.maxDataPerReport) problems.push('flags byte lies inside the data area');
  if (problems.length) throw new KioskError('CONFIG_INVALID', `HID POS report format: ${problems.join('; ')}`, { problems });
  return f;
}

export class HidPosDecoder implements HidReportDecoder {
  readonly format: HidPosReportFormat;
  readonly maxLength: number;
  readonly encoding: string;
  private readonly includeAim: boolean;
  private readonly allowed: ReadonlySet<number>;
  private chunks: Buffer[] = [];
  private length = 0;
  private aim: string | undefined;
  /** A read is in progress (a report with the "more" flag arrived). */
  private inRead = false;
  /** Discarding reports until one without the "more" flag. */
  private discarding = false;
  /** Reports with another report id (not scanned data). */
  ignoredReports = 0;

  constructor(opts: HidPosDecoderOptions = {}) {
    this.format = resolveHidPosFormat(opts.format);
    this.maxLength = opts.maxLength ?? MAX_READ_LENGTH;
    this.encoding = opts.encoding ?? AUTO_ENCODING;
    this.includeAim = opts.includeAim ?? true;
    this.allowed = new Set(opts.allowedControls ?? DEFAULT_ALLOWED_CONTROLS);
    checkEncoding(this.encoding);
  }

  /** Data bytes held for the read in progress (never more than maxLength). */
  get buffered(): number {
    return this.length;
  }

  reset(): boolean {
    const had = this.inRead;
    this.chunks = [];
    this.length = 0;
    this.aim = undefined;
    this.inRead = false;
    this.discarding = false;
    return had;
  }

  push(input: Uint8Array): HidDecodeResult[] {
    const report = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const f = this.format;
    if (f.reportId !== null && report[0] !== f.reportId) {
      this.ignoredReports++;
      return [];
    }
    const flagsAt = f.flagsOffset < 0 ? report.length + f.flagsOffset : f.flagsOffset;
    const minLength = Math.max(f.lengthOffset + 1, f.dataOffset, (f.aimOffset ?? 0) + 3, flagsAt + 1);
    if (flagsAt < 0 || report.length < minLength) {
      // the flags cannot be read: if a read was in progress its remaining reports are discarded up to its end
      return this.fail(`report of ${report.length} bytes is too short for the format`, report, this.inRead);
    }
    const more = (report[flagsAt] & f.moreFlag) !== 0;
    if (this.discarding) {
      if (!more) this.discarding = false;
      return [];
    }
    const len = report[f.lengthOffset];
    const dataEnd = f.dataOffset + len;
    const flagsInside = flagsAt >= f.dataOffset && flagsAt < dataEnd;
    if (len > f.maxDataPerReport || dataEnd > report.length || flagsInside) {
      return this.fail(`length byte ${len} exceeds the report's data area`, report, more);
    }
    const aim = this.readAim(report);
    if (this.inRead && aim !== this.aim) {
      return this.fail(`symbology changed inside a multi-report read (${this.aim ?? 'none'} → ${aim ?? 'none'})`, report, more);
    }
    if (this.length + len > this.maxLength) {
      return this.fail(`read longer than ${this.maxLength} bytes`, report, more);
    }
    this.aim = aim;
    this.chunks.push(Buffer.from(report.subarray(f.dataOffset, dataEnd)));
    this.length += len;
    this.inRead = true;
    if (more) return [];
    return this.complete();
  }

  private readAim(report: Buffer): string | undefined {
    const at = this.format.aimOffset;
    if (at === null) return undefined;
    const b = report.subarray(at, at + 3);
    if (b[0] === 0x5d && b[1] > 0x20 && b[1] < 0x7f && b[2] > 0x20 && b[2] < 0x7f) return b.toString('latin1');
    // some firmwares send the two identifier characters without the ']' flag character
    if (b[0] === 0 && b[1] > 0x20 && b[1] < 0x7f && b[2] > 0x20 && b[2] < 0x7f) return `]${b.subarray(1).toString('latin1')}`;
    return undefined;
  }

  private complete(): HidDecodeResult[] {
    const bytes = Buffer.concat(this.chunks);
    const aim = this.aim;
    this.reset();
    if (bytes.length === 0) return [];
    const decoded = decodeReadBytes(bytes, this.encoding, this.allowed);
    if ('problem' in decoded) return [protocolError('hid-pos', `garbled read dropped (${decoded.problem})`, { preview: hexPreview(bytes) })];
    const read: HidRead = { raw: aim && this.includeAim ? aim + decoded.text : decoded.text };
    if (aim) read.aim = aim;
    return [read];
  }

  /** Drops the read in progress; when the read goes on after this report, discards up to its last report. */
  private fail(message: string, report: Buffer, goesOn: boolean): HidDecodeResult[] {
    this.reset();
    this.discarding = goesOn;
    return [protocolError('hid-pos', message, { preview: hexPreview(report) })];
  }
}
