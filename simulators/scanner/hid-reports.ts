import { KEY } from './hid-usages';
import { encodeHidPosReports, type PosReportOptions, type ScannedDataReportFormat } from './hid-pos-report';
import { keyPressesFor, typingLayout, type TypingLayout, type TypingLayoutName } from './typing-layouts';

/**
 * What a USB HID scanner puts on the wire for one read, byte for byte: HID POS Scanned Data Reports
 * (`./hid-pos-report`), or boot keyboard reports ("Device Class Definition for HID" 1.11, Appendix B.1: modifier
 * byte, reserved byte, six key usages) typed on a given layout (`./typing-layouts`). The simulator's own encoders:
 * nothing here comes from the driver.
 */
export { encodeHidPosReports, type PosReportOptions, type ScannedDataReportFormat };

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
export function encodeKeyboardReports(text: string, layoutName: TypingLayoutName | TypingLayout, opts: KeyboardReportOptions = {}): Buffer[] {
  const layout = typingLayout(layoutName);
  const strokes = [...text].flatMap((ch) => keyPressesFor(layout, ch));
  if (opts.enter ?? true) strokes.push({ usage: KEY.RETURN, modifiers: 0 });
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
