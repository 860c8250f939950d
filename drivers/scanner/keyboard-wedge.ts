import * as iconv from 'iconv-lite';
import { DEFAULT_ALLOWED_CONTROLS, MAX_READ_LENGTH, aimOf, hexPreview, protocolError } from './read-text';
import type { HidDecodeResult, HidRead, HidReportDecoder } from './hid-pos';
import { MOD, USAGE, compose, resolveLayout, type KeyboardLayout, type LayoutName } from './keyboard-layouts';

export { LAYOUTS, type KeyboardLayout, type LayoutName } from './keyboard-layouts';

/**
 * Decoder for keyboard-wedge scanners read as HID boot keyboards (reports of 8 bytes: modifier byte, reserved
 * byte, up to 6 pressed key usages), translating key positions to characters through a configured layout.
 *
 * - A key is typed when its usage APPEARS in a report: a usage held across reports (the scanner has not released
 *   it yet) types once; several keys pressed at once (rollover: `[a]`, `[a b]`, `[b]`) type in slot order.
 * - Shift (left/right), AltGr (right Alt, or left Ctrl + left Alt as on Windows) select the level; Ctrl + key
 *   types the control character (`Ctrl+]` = GS, the FNC1 separator of GS1 data in "Control + ASCII" mode).
 * - Dead keys compose with the next character (`^` `e` → `ê`; `^` space → `^`).
 * - Alt + keypad digits (the scanners' layout-independent "Alt mode") type the character with that code when Alt is
 *   released: with a leading 0 from Windows-1252, otherwise from code page 437. A code longer than
 *   `ALT_CODE_MAX_DIGITS` (or `maxLength`) digits is a `PROTOCOL` error and discards the read like an over-long one.
 * - Enter (0x28) and keypad Enter (0x58) end a read (configurable `terminators`). Keys the layout does not map
 *   (F-keys, arrows) are ignored.
 * - Error-rollover reports (usage 0x01–0x03 in a slot: too many keys) carry no key state and are skipped.
 * - A malformed report (shorter than 8 bytes) or a read longer than `maxLength` yields a `PROTOCOL` error and the
 *   rest of that read is discarded up to its terminator; the next read decodes normally.
 */
export interface KeyboardWedgeOptions {
  /** Layout the SCANNER is configured for. Default `us`. */
  layout?: LayoutName | KeyboardLayout;
  /** `null` (default): plain 8-byte boot reports. A number: reports start with this report id (others ignored). */
  reportId?: number | null;
  /** Usages that end a read. Default Enter and keypad Enter. */
  terminators?: number[];
  /** Longest read in characters. Default 8192 (`MAX_READ_LENGTH`). */
  maxLength?: number;
  allowedControls?: number[];
}

const ERROR_USAGES = new Set([0x01, 0x02, 0x03]);
/** Most keypad digits one Alt code may have ("0233" is 4; Windows takes any number, modulo 256). */
export const ALT_CODE_MAX_DIGITS = 8;
const SHIFT = MOD.LSHIFT | MOD.RSHIFT;

export class KeyboardWedgeDecoder implements HidReportDecoder {
  readonly layout: KeyboardLayout;
  readonly maxLength: number;
  private readonly reportId: number | null;
  private readonly terminators: ReadonlySet<number>;
  private readonly allowed: ReadonlySet<number>;
  private held = new Set<number>();
  private text: string[] = [];
  private textLength = 0;
  private pendingDead: string | null = null;
  private altCode: string | null = null;
  private discarding = false;
  /** Key presses the layout has no character for. */
  unmappedKeys = 0;

  constructor(opts: KeyboardWedgeOptions = {}) {
    this.layout = resolveLayout(opts.layout);
    this.reportId = opts.reportId ?? null;
    this.terminators = new Set(opts.terminators ?? [USAGE.ENTER, USAGE.KEYPAD_ENTER]);
    this.maxLength = opts.maxLength ?? MAX_READ_LENGTH;
    this.allowed = new Set(opts.allowedControls ?? DEFAULT_ALLOWED_CONTROLS);
  }

  /** Characters held for the read in progress, an Alt code being typed included (never more than maxLength). */
  get buffered(): number {
    return this.textLength + (this.altCode?.length ?? 0);
  }

  reset(): boolean {
    const had = this.text.length > 0 || this.pendingDead !== null || this.discarding;
    this.held.clear();
    this.text = [];
    this.textLength = 0;
    this.pendingDead = null;
    this.altCode = null;
    this.discarding = false;
    return had;
  }

  push(input: Uint8Array): HidDecodeResult[] {
    let report = input;
    if (this.reportId !== null) {
      if (report[0] !== this.reportId) return [];
      report = report.subarray(1);
    }
    const out: HidDecodeResult[] = [];
    if (report.length < 8) {
      const inRead = this.text.length > 0;
      this.text = [];
      this.textLength = 0;
      this.pendingDead = null;
      this.discarding = inRead;
      out.push(protocolError('hid-keyboard', `keyboard report of ${report.length} bytes (a boot report has 8)`, { preview: hexPreview(input) }));
      return out;
    }
    const slots = Array.from(report.subarray(2)).filter((u) => u !== 0);
    if (slots.some((u) => ERROR_USAGES.has(u))) return out; // phantom state: no key information
    const modifiers = report[0];
    if (this.altCode !== null && !(modifiers & MOD.LALT)) this.finishAltCode(out);
    const pressed = new Set(slots);
    for (const usage of pressed) {
      if (!this.held.has(usage)) this.key(usage, modifiers, out);
    }
    this.held = pressed;
    return out;
  }

  private key(usage: number, modifiers: number, out: HidDecodeResult[]): void {
    if (this.terminators.has(usage)) {
      if (this.altCode !== null) this.finishAltCode(out);
      if (this.pendingDead !== null) this.append(this.pendingDead, out);
      this.pendingDead = null;
      this.endRead(out);
      return;
    }
    const leftCtrlAlt = (modifiers & MOD.LCTRL) !== 0 && (modifiers & MOD.LALT) !== 0;
    const altGr = (modifiers & MOD.RALT) !== 0 || leftCtrlAlt;
    const ctrl = !altGr && (modifiers & (MOD.LCTRL | MOD.RCTRL)) !== 0;
    const alt = !altGr && (modifiers & MOD.LALT) !== 0;
    const shift = (modifiers & SHIFT) !== 0;
    if (alt) {
      if (usage >= USAGE.KEYPAD_1 && usage <= USAGE.KEYPAD_0 && !this.discarding) {
        const code = this.altCode ?? '';
        const max = Math.min(ALT_CODE_MAX_DIGITS, this.maxLength);
        if (code.length >= max) {
          out.push(protocolError('hid-keyboard', `Alt+keypad code longer than ${max} digits; discarding until Enter`, { maxDigits: max }));
          this.altCode = null;
          this.text = [];
          this.textLength = 0;
          this.discarding = true;
          return;
        }
        this.altCode = code + (usage === USAGE.KEYPAD_0 ? '0' : String(usage - USAGE.KEYPAD_1 + 1));
      }
      return; // Alt + anything else is a shortcut, not text
    }
    const levels = this.layout.keys.get(usage);
    const sym = levels?.[(altGr ? 2 : 0) + (shift ? 1 : 0)];
    if (sym === undefined) {
      this.unmappedKeys++;
      return;
    }
    if (ctrl) {
      if (typeof sym !== 'string') return;
      const code = sym.toUpperCase().charCodeAt(0);
      if (sym.length === 1 && code >= 0x40 && code <= 0x5f) this.append(String.fromCharCode(code & 0x1f), out);
      else this.unmappedKeys++;
      return;
    }
    if (typeof sym !== 'string') {
      if (this.pendingDead === null) {
        this.pendingDead = sym.dead;
      } else if (this.pendingDead === sym.dead) {
        this.append(sym.dead, out);
        this.pendingDead = null;
      } else {
        this.append(this.pendingDead, out);
        this.pendingDead = sym.dead;
      }
      return;
    }
    if (this.pendingDead !== null) {
      const accent = this.pendingDead;
      this.pendingDead = null;
      this.append(compose(accent, sym), out);
      return;
    }
    this.append(sym, out);
  }

  private finishAltCode(out: HidDecodeResult[]): void {
    const digits = this.altCode ?? '';
    this.altCode = null;
    if (!digits) return;
    const code = Number(digits) & 0xff;
    this.append(iconv.decode(Buffer.from([code]), digits.startsWith('0') ? 'windows1252' : 'cp437'), out);
  }

  private append(chars: string, out: HidDecodeResult[]): void {
    if (this.discarding) return;
    if (this.textLength + chars.length > this.maxLength) {
      out.push(protocolError('hid-keyboard', `read longer than ${this.maxLength} characters; discarding until Enter`, { maxLength: this.maxLength }));
      this.text = [];
      this.textLength = 0;
      this.discarding = true;
      return;
    }
    this.text.push(chars);
    this.textLength += chars.length;
  }

  private endRead(out: HidDecodeResult[]): void {
    const raw = this.text.join('');
    const wasDiscarding = this.discarding;
    this.text = [];
    this.textLength = 0;
    this.discarding = false;
    if (wasDiscarding || raw === '') return;
    for (const ch of raw) {
      const cp = ch.codePointAt(0)!;
      if ((cp < 0x20 && !this.allowed.has(cp)) || cp === 0x7f) {
        out.push(protocolError('hid-keyboard', `read with control character U+${cp.toString(16).padStart(4, '0').toUpperCase()} dropped`));
        return;
      }
    }
    const read: HidRead = { raw };
    const aim = aimOf(raw);
    if (aim) read.aim = aim;
    out.push(read);
  }
}
