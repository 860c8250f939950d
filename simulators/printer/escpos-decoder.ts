import { DEFAULT_STYLE, NEED_MORE } from './escpos-page';
import { EscPosSymbols } from './escpos-symbols';
import type { DecodedReceipt, DecoderWarning } from './escpos-receipt';

export type { BarcodeSymbologyName, DecodedAlign, DecodedItem, DecodedLine, DecodedReceipt, DecoderWarning, DecoderWarningKind } from './escpos-receipt';

/**
 * An ESC/POS decoder: the bytes a receipt printer receives → what it prints. Pure and streaming (`push` chunks
 * as they arrive; a command split across chunks waits for the rest).
 *
 * - Text lines end at LF (CR is ignored). Single-byte text is decoded in the code page selected by `ESC t n`
 *   (Epson numbering); between `FS &` and `FS .` (Chinese mode) text is GB18030.
 * - Style per line: bold (`ESC E`, `ESC !`), underline, size (`GS !`), alignment (`ESC a`, effective at the start
 *   of a line, as on the printer).
 * - QR codes (`GS ( k` store + print), PDF417 and other 2D symbols, barcodes (`GS k`, CODE128 code sets decoded),
 *   bit images, drawer pulses (`ESC p`, `DLE DC4 1`), cuts (`GS V`, `ESC i`/`ESC m`) — a cut ends a receipt.
 * - Everything else the encoder emits (ESC @, FS ., ESC M, ESC 2/3, GS h/w/H, …) is understood and skipped.
 *   Unknown commands and stray control bytes are skipped with a typed warning; the decoder never throws on input.
 *
 * Bytes are decoded with iconv-lite — independently of the encoder library, so round-trip tests compare two
 * implementations rather than one with itself.
 *
 * Layers: `EscPosPage` (escpos-page.ts: print mode, lines, receipts, warnings) ← `EscPosSymbols` (escpos-symbols.ts:
 * GS k barcodes, GS ( k 2D codes) ← this class (the byte stream and every other command).
 */

export class EscPosDecoder extends EscPosSymbols {
  /** Feeds bytes as they arrive. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const next = new Uint8Array(this.buf.length + chunk.length);
    next.set(this.buf, 0);
    next.set(chunk, this.buf.length);
    this.buf = next;
    let p = 0;
    while (p < this.buf.length) {
      const used = this.step(p);
      if (used === NEED_MORE) break;
      p += used;
    }
    this.base += p;
    this.buf = this.buf.slice(p);
  }

  /** The stream ended: an incomplete command left over is a `truncated` warning. */
  end(): void {
    if (this.buf.length > 0) {
      this.warn('truncated', 0, this.buf.length, `stream ends inside a command (${this.buf.length} bytes left)`);
      this.base += this.buf.length;
      this.buf = new Uint8Array(0);
    }
  }

  // ---- parser ----

  /** Handles the command at `p`; returns the bytes it used, or NEED_MORE. */
  private step(p: number): number {
    const b = this.buf[p];
    if (b >= 0x20 && b !== 0x7f) {
      this.text(b);
      return 1;
    }
    switch (b) {
      case 0x0a:
        this.endLine(true);
        return 1;
      case 0x0d:
        return 1;
      case 0x09:
        this.text(0x20);
        return 1;
      case 0x0c:
        this.endLine(false);
        return 1;
      case 0x10:
        return this.dle(p);
      case 0x1b:
        return this.esc(p);
      case 0x1d:
        return this.gs(p);
      case 0x1c:
        return this.fs(p);
      default:
        this.warn('control-byte', p, 1, `control byte 0x${b.toString(16).padStart(2, '0')} skipped`);
        return 1;
    }
  }

  private dle(p: number): number {
    if (!this.has(p, 3)) return NEED_MORE;
    const c = this.buf[p + 1];
    const n = this.buf[p + 2];
    if (c === 0x04) {
      // DLE EOT n (real-time status; 7 and 8 take one more byte)
      if (n === 7 || n === 8) return this.has(p, 4) ? 4 : NEED_MORE;
      return 3;
    }
    if (c === 0x05) return 3; // DLE ENQ n
    if (c === 0x14) {
      // DLE DC4 fn a b: fn 1 = pulse (m t)
      if (!this.has(p, 5)) return NEED_MORE;
      if (n === 1) this.items.push({ kind: 'pulse', pin: this.buf[p + 3] === 1 ? 5 : 2 });
      return 5;
    }
    this.warn('unknown-command', p, 2, `unknown DLE 0x${c.toString(16)}`);
    return 1;
  }

  private esc(p: number): number {
    if (!this.has(p, 2)) return NEED_MORE;
    const c = this.buf[p + 1];
    const arg = (k: number) => (this.has(p, 2 + k) ? 2 + k : NEED_MORE);
    switch (c) {
      case 0x40: // ESC @ initialize
        this.style = { ...DEFAULT_STYLE };
        this.resetSymbols();
        return 2;
      case 0x45: // ESC E n bold
      case 0x47: // ESC G n double-strike (prints as bold)
        if (!this.has(p, 3)) return NEED_MORE;
        this.style.bold = (this.buf[p + 2] & 1) === 1;
        return 3;
      case 0x2d: // ESC - n underline
        if (!this.has(p, 3)) return NEED_MORE;
        this.style.underline = this.buf[p + 2] % 0x30 !== 0;
        return 3;
      case 0x21: {
        // ESC ! n print mode
        if (!this.has(p, 3)) return NEED_MORE;
        const n = this.buf[p + 2];
        this.style.bold = (n & 0x08) !== 0;
        this.style.height = n & 0x10 ? 2 : 1;
        this.style.width = n & 0x20 ? 2 : 1;
        this.style.underline = (n & 0x80) !== 0;
        return 3;
      }
      case 0x61: {
        // ESC a n justification
        if (!this.has(p, 3)) return NEED_MORE;
        const n = this.buf[p + 2] % 0x30;
        this.style.align = n === 1 ? 'center' : n === 2 ? 'right' : 'left';
        return 3;
      }
      case 0x74: // ESC t n code page
        if (!this.has(p, 3)) return NEED_MORE;
        this.style.page = this.buf[p + 2];
        return 3;
      case 0x64: {
        // ESC d n print and feed n lines
        if (!this.has(p, 3)) return NEED_MORE;
        const n = this.buf[p + 2];
        if (n > 0) {
          this.endLine(true);
          for (let i = 1; i < n; i++) this.endLine(true);
        }
        return 3;
      }
      case 0x4a: // ESC J n print and feed dots
        if (!this.has(p, 3)) return NEED_MORE;
        this.endLine(false);
        return 3;
      case 0x70: // ESC p m t1 t2 drawer pulse
        if (!this.has(p, 5)) return NEED_MORE;
        this.flushPending();
        this.items.push({ kind: 'pulse', pin: this.buf[p + 2] % 0x30 === 1 ? 5 : 2 });
        return 5;
      case 0x69: // ESC i / ESC m partial cut (legacy)
      case 0x6d:
        this.cut('partial');
        return 2;
      case 0x32: // ESC 2 default line spacing
      case 0x3c: // ESC < return home
      case 0x4c: // ESC L page mode
      case 0x53: // ESC S standard mode
        return 2;
      case 0x34: // ESC 4 n italic (encoder's italic)
      case 0x33: // ESC 3 n line spacing
      case 0x4d: // ESC M n font
      case 0x52: // ESC R n international character set
      case 0x20: // ESC SP n right-side character spacing
      case 0x3d: // ESC = n peripheral device
      case 0x7b: // ESC { n upside down
      case 0x56: // ESC V n 90° rotation
      case 0x72: // ESC r n colour
      case 0x25: // ESC % n user-defined character set
      case 0x3f: // ESC ? n cancel user-defined character
      case 0x55: // ESC U n unidirectional
      case 0x54: // ESC T n print direction (page mode)
      case 0x65: // ESC e n reverse feed lines
      case 0x4b: // ESC K n reverse feed dots
        return arg(1);
      case 0x24: // ESC $ nL nH absolute position
      case 0x5c: // ESC \ nL nH relative position
        return arg(2);
      case 0x63: // ESC c 3/4/5 n
        return arg(2);
      case 0x57: // ESC W xL xH yL yH dxL dxH dyL dyH page mode area
        return arg(8);
      case 0x44: {
        // ESC D n1 … NUL tab positions
        for (let i = p + 2; i < this.buf.length; i++) if (this.buf[i] === 0) return i - p + 1;
        return NEED_MORE;
      }
      case 0x2a: {
        // ESC * m nL nH d… bit image
        if (!this.has(p, 5)) return NEED_MORE;
        const m = this.buf[p + 2];
        const n = this.u16(p + 3);
        const len = (m === 32 || m === 33 ? 3 : 1) * n;
        if (!this.has(p, 5 + len)) return NEED_MORE;
        this.flushPending();
        this.items.push({ kind: 'image', width: n, height: m === 32 || m === 33 ? 24 : 8 });
        return 5 + len;
      }
      case 0x26: {
        // ESC & y c1 c2 [x d1…d(y×x)]… user-defined characters
        if (!this.has(p, 5)) return NEED_MORE;
        const y = this.buf[p + 2];
        const c1 = this.buf[p + 3];
        const c2 = this.buf[p + 4];
        let q = p + 5;
        for (let ch = c1; ch <= c2; ch++) {
          if (!this.has(q, 1)) return NEED_MORE;
          q += 1 + y * this.buf[q];
          if (q > this.buf.length) return NEED_MORE;
        }
        return q - p;
      }
      case 0x28: {
        // ESC ( fn pL pH … (beeper and similar)
        if (!this.has(p, 5)) return NEED_MORE;
        const len = this.u16(p + 3);
        return this.has(p, 5 + len) ? 5 + len : NEED_MORE;
      }
      default:
        this.warn('unknown-command', p, 2, `unknown command ESC 0x${c.toString(16).padStart(2, '0')} skipped`);
        return 2;
    }
  }

  private gs(p: number): number {
    if (!this.has(p, 2)) return NEED_MORE;
    const c = this.buf[p + 1];
    const arg = (k: number) => (this.has(p, 2 + k) ? 2 + k : NEED_MORE);
    switch (c) {
      case 0x21: {
        // GS ! n character size
        if (!this.has(p, 3)) return NEED_MORE;
        const n = this.buf[p + 2];
        this.style.width = ((n >> 4) & 7) + 1;
        this.style.height = (n & 7) + 1;
        return 3;
      }
      case 0x56: {
        // GS V m [n] cut
        if (!this.has(p, 3)) return NEED_MORE;
        const m = this.buf[p + 2];
        const withFeed = [65, 66, 97, 98, 103, 104].includes(m);
        if (withFeed && !this.has(p, 4)) return NEED_MORE;
        this.cut([1, 49, 66, 98, 104].includes(m) ? 'partial' : 'full');
        return withFeed ? 4 : 3;
      }
      case 0x6b:
        return this.barcode(p);
      case 0x28:
        return this.gsParen(p);
      case 0x76: {
        // GS v 0 m xL xH yL yH d… raster image
        if (!this.has(p, 8)) return NEED_MORE;
        const x = this.u16(p + 4);
        const y = this.u16(p + 6);
        const len = x * y;
        if (!this.has(p, 8 + len)) return NEED_MORE;
        this.flushPending();
        this.items.push({ kind: 'image', width: x * 8, height: y });
        return 8 + len;
      }
      case 0x38: {
        // GS 8 L p1 p2 p3 p4 m fn … (graphics, 32-bit length)
        if (!this.has(p, 7)) return NEED_MORE;
        const len = this.buf[p + 3] + this.buf[p + 4] * 0x100 + this.buf[p + 5] * 0x10000 + this.buf[p + 6] * 0x1000000;
        return this.has(p, 7 + len) ? 7 + len : NEED_MORE;
      }
      case 0x2a: {
        // GS * x y d… downloaded bit image
        if (!this.has(p, 4)) return NEED_MORE;
        const len = this.buf[p + 2] * this.buf[p + 3] * 8;
        return this.has(p, 4 + len) ? 4 + len : NEED_MORE;
      }
      case 0x42: // GS B n reverse
      case 0x68: // GS h n barcode height
      case 0x77: // GS w n barcode module width
      case 0x48: // GS H n HRI position
      case 0x66: // GS f n HRI font
      case 0x61: // GS a n automatic status back
      case 0x49: // GS I n printer id
      case 0x72: // GS r n transmit status
      case 0x62: // GS b n smoothing
      case 0x2f: // GS / m print downloaded image
      case 0x45: // GS E n head energy (some models)
        return arg(1);
      case 0x50: // GS P x y motion units
      case 0x4c: // GS L nL nH left margin
      case 0x57: // GS W nL nH print area width
      case 0x24: // GS $ nL nH vertical position (page mode)
      case 0x5c: // GS \ nL nH relative vertical position
        return arg(2);
      case 0x3a: // GS : macro definition start/end
        return 2;
      case 0x5e: // GS ^ r t m execute macro
        return arg(3);
      default:
        this.warn('unknown-command', p, 2, `unknown command GS 0x${c.toString(16).padStart(2, '0')} skipped`);
        return 2;
    }
  }

  private fs(p: number): number {
    if (!this.has(p, 2)) return NEED_MORE;
    const c = this.buf[p + 1];
    switch (c) {
      case 0x26: // FS & Chinese mode on
        this.style.chinese = true;
        return 2;
      case 0x2e: // FS . Chinese mode off
        this.style.chinese = false;
        return 2;
      case 0x21: // FS ! n Kanji print mode
      case 0x2d: // FS - n Kanji underline
      case 0x43: // FS C n code system
      case 0x57: // FS W n Kanji quadruple size
        return this.has(p, 3) ? 3 : NEED_MORE;
      case 0x53: // FS S n1 n2 Kanji spacing
      case 0x3f: // FS ? c1 c2 cancel user-defined Kanji
      case 0x70: // FS p n m print NV bit image
        return this.has(p, 4) ? 4 : NEED_MORE;
      case 0x32: // FS 2 c1 c2 d1…d72 user-defined Kanji
        return this.has(p, 76) ? 76 : NEED_MORE;
      case 0x28: {
        // FS ( fn pL pH …
        if (!this.has(p, 5)) return NEED_MORE;
        const len = this.u16(p + 3);
        return this.has(p, 5 + len) ? 5 + len : NEED_MORE;
      }
      default:
        this.warn('unknown-command', p, 2, `unknown command FS 0x${c.toString(16).padStart(2, '0')} skipped`);
        return 2;
    }
  }
}

/** Decodes a whole stream at once. */
export function decodeEscPos(bytes: Uint8Array): { receipts: DecodedReceipt[]; warnings: DecoderWarning[] } {
  const d = new EscPosDecoder();
  d.push(bytes);
  d.end();
  return { receipts: d.receipts(), warnings: [...d.warnings] };
}
