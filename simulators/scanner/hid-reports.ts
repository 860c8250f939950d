import * as iconv from 'iconv-lite';
import { resolveHidPosFormat, type HidPosReportFormat } from '../../drivers/scanner/hid-pos';
import { USAGE, keystrokesFor, resolveLayout, type KeyboardLayout, type LayoutName } from '../../drivers/scanner/keyboard-layouts';

/**
 * What a USB HID scanner puts on the wire for one read, byte for byte: HID POS scanned-data reports, or boot
 * keyboard reports typed on a given layout. Used by the HID scanner simulator and by tests.
 */

export interface PosReportOptions {
  /** AIM symbology identifier for the AIM bytes, e.g. `]E0`; default none (zeros). */
  aim?: string;
  format?: Partial<HidPosReportFormat>;
  /** How the scanner encodes the data: `latin1` (default) or `utf8`. */
  encoding?: 'latin1' | 'utf8';
  /** Vendor code-id bytes written just before the flags byte (Honeywell puts its code id there). */
  codeId?: number;
}

/** The HID POS reports for one read: data split into `maxDataPerReport` chunks, "more" flag on all but the last. */
export function encodeHidPosReports(data: string, opts: PosReportOptions = {}): Buffer[] {
  const f = resolveHidPosFormat(opts.format);
  const bytes = opts.encoding === 'utf8' ? Buffer.from(data, 'utf8') : iconv.encode(data, 'latin1');
  const reports: Buffer[] = [];
  const count = Math.max(1, Math.ceil(bytes.length / f.maxDataPerReport));
  const flagsAt = f.flagsOffset < 0 ? f.reportSize + f.flagsOffset : f.flagsOffset;
  for (let i = 0; i < count; i++) {
    const chunk = bytes.subarray(i * f.maxDataPerReport, (i + 1) * f.maxDataPerReport);
    const r = Buffer.alloc(f.reportSize);
    if (f.reportId !== null) r[0] = f.reportId;
    r[f.lengthOffset] = chunk.length;
    if (f.aimOffset !== null && opts.aim) r.write(opts.aim.slice(0, 3), f.aimOffset, 'latin1');
    chunk.copy(r, f.dataOffset);
    if (opts.codeId !== undefined && flagsAt - 2 >= f.dataOffset + f.maxDataPerReport) r[flagsAt - 2] = opts.codeId;
    if (i < count - 1) r[flagsAt] |= f.moreFlag;
    reports.push(r);
  }
  return reports;
}

export interface KeyboardReportOptions {
  /** Report id byte in front of each 8-byte report; default none. */
  reportId?: number | null;
  /** End with Enter (default true). */
  enter?: boolean;
  /**
   * `false` (default): press, release for every key. `true`: n-key rollover as fast scanners do — the next key goes
   * down before the previous one is released (`[a]`, `[a b]`, `[b]`…).
   */
  rollover?: boolean;
  /** Repeat every press report this many times (a key held across polls). Default 1. */
  holdReports?: number;
}

/** Boot keyboard reports typing `text` on `layout` (what a scanner configured for that layout sends). */
export function encodeKeyboardReports(text: string, layoutName: LayoutName | KeyboardLayout, opts: KeyboardReportOptions = {}): Buffer[] {
  const layout = resolveLayout(layoutName);
  const strokes = [...text].flatMap((ch) => keystrokesFor(layout, ch));
  if (opts.enter ?? true) strokes.push({ usage: USAGE.ENTER, modifiers: 0 });
  const hold = Math.max(1, opts.holdReports ?? 1);
  const report = (modifiers: number, keys: number[]) => {
    const r = Buffer.alloc(8);
    r[0] = modifiers;
    keys.slice(0, 6).forEach((k, i) => (r[2 + i] = k));
    return opts.reportId === undefined || opts.reportId === null ? r : Buffer.concat([Buffer.from([opts.reportId]), r]);
  };
  const out: Buffer[] = [];
  let held: number | null = null;
  for (const s of strokes) {
    if (opts.rollover && held !== null && held !== s.usage) {
      for (let i = 0; i < hold; i++) out.push(report(s.modifiers, [held, s.usage]));
      out.push(report(s.modifiers, [s.usage]));
    } else {
      if (held !== null) out.push(report(0, []));
      for (let i = 0; i < hold; i++) out.push(report(s.modifiers, [s.usage]));
    }
    held = s.usage;
  }
  if (held !== null) out.push(report(0, []));
  return out;
}
