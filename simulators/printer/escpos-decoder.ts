import * as iconv from 'iconv-lite';

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
 */

export type DecodedAlign = 'left' | 'center' | 'right';

export interface DecodedLine {
  /** The printed characters, padding spaces included. */
  text: string;
  bold: boolean;
  underline: boolean;
  /** Character magnification from GS ! (1–8). */
  width: number;
  height: number;
  align: DecodedAlign;
  /** Part of the line was printed in Chinese mode (GB18030). */
  cjk: boolean;
}

export type BarcodeSymbologyName =
  | 'upca'
  | 'upce'
  | 'ean13'
  | 'ean8'
  | 'code39'
  | 'itf'
  | 'codabar'
  | 'code93'
  | 'code128'
  | 'gs1-128'
  | 'gs1-databar-omni'
  | 'gs1-databar-truncated'
  | 'gs1-databar-limited'
  | 'gs1-databar-expanded'
  | 'code128-auto'
  | 'unknown';

export type DecodedItem =
  | { kind: 'line'; line: DecodedLine }
  | { kind: 'qr'; data: string; model: number; size: number; errorLevel: string }
  | { kind: '2d'; symbology: 'pdf417' | 'maxicode' | 'gs1-databar' | 'composite' | 'aztec' | 'datamatrix' | 'unknown'; data: string }
  | { kind: 'barcode'; symbology: BarcodeSymbologyName; data: string }
  | { kind: 'image'; width: number; height: number }
  | { kind: 'pulse'; pin: number };

export interface DecodedReceipt {
  items: DecodedItem[];
  lines: DecodedLine[];
  qrCodes: string[];
  barcodes: { symbology: BarcodeSymbologyName; data: string }[];
  drawerKicks: number;
  /** How the receipt was cut; null while it has not been cut (yet). */
  cut: 'full' | 'partial' | null;
  /** The lines, trailing spaces trimmed, blank lines at the start and end (paper feed) left out. */
  text: string;
}

export type DecoderWarningKind = 'unknown-command' | 'control-byte' | 'unknown-codepage' | 'invalid-text' | 'invalid-data' | 'truncated';

export interface DecoderWarning {
  kind: DecoderWarningKind;
  /** Offset of the offending bytes in the whole stream (for text warnings: where the stream was when the line ended). */
  offset: number;
  /** The first bytes of it (at most 8). */
  bytes: number[];
  message: string;
}

/** ESC t n → code page, Epson numbering, for the pages iconv-lite can decode. */
const CODEPAGES: Record<number, string> = {
  0: 'cp437',
  2: 'cp850',
  3: 'cp860',
  4: 'cp863',
  5: 'cp865',
  13: 'cp857',
  14: 'cp737',
  15: 'iso-8859-7',
  16: 'windows-1252',
  17: 'cp866',
  18: 'cp852',
  19: 'cp858',
  33: 'cp775',
  34: 'cp855',
  35: 'cp861',
  36: 'cp862',
  37: 'cp864',
  38: 'cp869',
  39: 'iso-8859-2',
  40: 'iso-8859-15',
  45: 'windows-1250',
  46: 'windows-1251',
  47: 'windows-1253',
  48: 'windows-1254',
  49: 'windows-1255',
  50: 'windows-1256',
  51: 'windows-1257',
  52: 'windows-1258',
};

const BARCODES: Record<number, BarcodeSymbologyName> = {
  0: 'upca',
  1: 'upce',
  2: 'ean13',
  3: 'ean8',
  4: 'code39',
  5: 'itf',
  6: 'codabar',
  65: 'upca',
  66: 'upce',
  67: 'ean13',
  68: 'ean8',
  69: 'code39',
  70: 'itf',
  71: 'codabar',
  72: 'code93',
  73: 'code128',
  74: 'gs1-128',
  75: 'gs1-databar-omni',
  76: 'gs1-databar-truncated',
  77: 'gs1-databar-limited',
  78: 'gs1-databar-expanded',
  79: 'code128-auto',
};

const SYMBOLS_2D: Record<number, (DecodedItem & { kind: '2d' })['symbology']> = {
  0x30: 'pdf417',
  0x32: 'maxicode',
  0x33: 'gs1-databar',
  0x34: 'composite',
  0x35: 'aztec',
  0x36: 'datamatrix',
};

interface Style {
  bold: boolean;
  underline: boolean;
  width: number;
  height: number;
  align: DecodedAlign;
  page: number;
  chinese: boolean;
}

interface Segment {
  chinese: boolean;
  page: number;
  bold: boolean;
  underline: boolean;
  width: number;
  height: number;
  bytes: number[];
}

const NEED_MORE = -1;

const DEFAULT_STYLE: Style = { bold: false, underline: false, width: 1, height: 1, align: 'left', page: 0, chinese: false };

export class EscPosDecoder {
  readonly warnings: DecoderWarning[] = [];
  private buf = new Uint8Array(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  private style: Style = { ...DEFAULT_STYLE };
  private segments: Segment[] = [];
  private lineAlign: DecodedAlign = 'left';
  private done: DecodedReceipt[] = [];
  private items: DecodedItem[] = [];
  private qr = { data: null as Uint8Array | null, model: 2, size: 3, errorLevel: 'L' };
  private stored2d = new Map<number, Uint8Array>();
  private readonly warnedPages = new Set<number>();

  constructor(private readonly opts: { onWarning?: (w: DecoderWarning) => void } = {}) {}

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

  /** Completed (cut) receipts, then the one in progress if anything but blank lines (paper feed) was printed on it. */
  receipts(): DecodedReceipt[] {
    const printed = this.items.some((i) => i.kind !== 'line' || i.line.text.trim() !== '');
    const cur = printed ? [finishReceipt(this.items, null)] : [];
    return [...this.done, ...cur];
  }

  lastReceipt(): DecodedReceipt | undefined {
    const all = this.receipts();
    return all[all.length - 1];
  }

  /** The text of the last receipt (up to its cut; the one in progress if nothing was cut after it). */
  last(): string | undefined {
    return this.lastReceipt()?.text;
  }

  /**
   * The printer restarted mid-receipt (switched off to change the roll): the receipt in progress ends uncut
   * (`cut: null`, kept as a torn piece), a command cut short is dropped, and the print mode is back to defaults.
   */
  tear(): void {
    this.flushPending();
    if (this.items.some((i) => i.kind !== 'line' || i.line.text.trim() !== '')) this.done.push(finishReceipt(this.items, null));
    this.items = [];
    this.base += this.buf.length;
    this.buf = new Uint8Array(0);
    this.style = { ...DEFAULT_STYLE };
  }

  /** Forgets receipts and warnings; keeps the printer state (like tearing off the paper). */
  clear(): void {
    this.done = [];
    this.items = [];
    this.warnings.length = 0;
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

  private has(p: number, n: number): boolean {
    return p + n <= this.buf.length;
  }

  private u16(p: number): number {
    return this.buf[p] | (this.buf[p + 1] << 8);
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
        this.qr = { data: null, model: 2, size: 3, errorLevel: 'L' };
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

  /** GS k m … barcode. */
  private barcode(p: number): number {
    if (!this.has(p, 3)) return NEED_MORE;
    const m = this.buf[p + 2];
    let data: Uint8Array;
    let used: number;
    if (m <= 6) {
      let end = -1;
      for (let i = p + 3; i < this.buf.length; i++) {
        if (this.buf[i] === 0) {
          end = i;
          break;
        }
      }
      if (end < 0) return NEED_MORE;
      data = this.buf.slice(p + 3, end);
      used = end - p + 1;
    } else {
      if (!this.has(p, 4)) return NEED_MORE;
      const n = this.buf[p + 3];
      if (!this.has(p, 4 + n)) return NEED_MORE;
      data = this.buf.slice(p + 4, p + 4 + n);
      used = 4 + n;
    }
    const symbology = BARCODES[m] ?? 'unknown';
    if (symbology === 'unknown') this.warn('invalid-data', p, 3, `unknown barcode system ${m}`);
    let text = latin1(data);
    if (symbology === 'code128') text = this.code128(data, p);
    else if (symbology === 'ean13' || symbology === 'upca' || symbology === 'ean8') text = withCheckDigit(text, symbology);
    this.flushPending();
    this.items.push({ kind: 'barcode', symbology, data: text });
    return used;
  }

  /** CODE128 data with ESC/POS code set characters: {A {B {C select a set, {{ is '{', {S/{1–{4 are functions. */
  private code128(data: Uint8Array, p: number): string {
    let set: 'A' | 'B' | 'C' | null = null;
    let out = '';
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (b === 0x7b && i + 1 < data.length) {
        const c = String.fromCharCode(data[++i]);
        if (c === 'A' || c === 'B' || c === 'C') set = c;
        else if (c === '{') out += '{';
        else if (!'S1234'.includes(c)) this.warn('invalid-data', p, 3, `unknown CODE128 function character {${c}`);
        continue;
      }
      if (set === null) {
        this.warn('invalid-data', p, 3, 'CODE128 data does not start with a code set ({A, {B or {C)');
        set = 'B';
      }
      out += set === 'C' ? String(b).padStart(2, '0') : String.fromCharCode(b);
    }
    return out;
  }

  /** GS ( fn pL pH … — 2D codes (GS ( k) and the rest (skipped by length). */
  private gsParen(p: number): number {
    if (!this.has(p, 5)) return NEED_MORE;
    const fn = this.buf[p + 2];
    const len = this.u16(p + 3);
    if (!this.has(p, 5 + len)) return NEED_MORE;
    if (fn === 0x6b && len >= 2) {
      const cn = this.buf[p + 5];
      const f = this.buf[p + 6];
      const body = this.buf.slice(p + 7, p + 5 + len);
      if (cn === 0x31) {
        // QR code
        if (f === 0x41) this.qr.model = body[0] - 0x30;
        else if (f === 0x43) this.qr.size = body[0];
        else if (f === 0x45) this.qr.errorLevel = ['L', 'M', 'Q', 'H'][body[0] - 0x30] ?? '?';
        else if (f === 0x50) this.qr.data = body.slice(1);
        else if (f === 0x51) {
          if (this.qr.data === null) this.warn('invalid-data', p, 8, 'QR print without stored data');
          else {
            this.flushPending();
            this.items.push({ kind: 'qr', data: utf8OrLatin1(this.qr.data), model: this.qr.model, size: this.qr.size, errorLevel: this.qr.errorLevel });
          }
        }
      } else {
        if (f === 0x50) this.stored2d.set(cn, body.slice(1));
        else if (f === 0x51) {
          const stored = this.stored2d.get(cn);
          if (!stored) this.warn('invalid-data', p, 8, `2D symbol print without stored data (cn 0x${cn.toString(16)})`);
          else {
            this.flushPending();
            this.items.push({ kind: '2d', symbology: SYMBOLS_2D[cn] ?? 'unknown', data: utf8OrLatin1(stored) });
          }
        }
      }
    }
    return 5 + len;
  }

  // ---- text ----

  private text(b: number): void {
    const s = this.style;
    if (this.segments.length === 0) this.lineAlign = s.align;
    const last = this.segments[this.segments.length - 1];
    if (last && last.chinese === s.chinese && last.page === s.page && last.bold === s.bold && last.underline === s.underline && last.width === s.width && last.height === s.height) {
      last.bytes.push(b);
    } else {
      this.segments.push({ chinese: s.chinese, page: s.page, bold: s.bold, underline: s.underline, width: s.width, height: s.height, bytes: [b] });
    }
  }

  /** A line ends (LF, FF, ESC d/J). `blank`: an empty buffer still prints an empty line (LF does, ESC J does not). */
  private endLine(blank: boolean): void {
    if (this.segments.length === 0 && !blank) return;
    let text = '';
    let bold = false;
    let underline = false;
    let width = 1;
    let height = 1;
    let cjk = false;
    for (const seg of this.segments) {
      const s = this.decodeSegment(seg);
      text += s;
      if (s.trim().length > 0) {
        bold ||= seg.bold;
        underline ||= seg.underline;
        width = Math.max(width, seg.width);
        height = Math.max(height, seg.height);
      }
      cjk ||= seg.chinese;
    }
    this.items.push({ kind: 'line', line: { text, bold, underline, width, height, align: this.segments.length ? this.lineAlign : this.style.align, cjk } });
    this.segments = [];
  }

  /** Text waiting for its LF is printed before a symbol, image, pulse or cut (as the printer does). */
  private flushPending(): void {
    if (this.segments.length > 0) this.endLine(false);
  }

  private decodeSegment(seg: Segment): string {
    const bytes = Buffer.from(seg.bytes);
    if (seg.chinese) {
      const s = iconv.decode(bytes, 'gb18030');
      if (s.includes('\ufffd')) this.warn('invalid-text', 0, 0, `invalid GB18030 sequence in ${bytes.toString('hex')}`);
      return s;
    }
    let page = CODEPAGES[seg.page];
    if (!page) {
      if (!this.warnedPages.has(seg.page)) {
        this.warnedPages.add(seg.page);
        this.warn('unknown-codepage', 0, 0, `code page ${seg.page} (ESC t ${seg.page}) is not known; decoded as cp437`);
      }
      page = 'cp437';
    }
    return iconv.decode(bytes, page);
  }

  private cut(kind: 'full' | 'partial'): void {
    this.flushPending();
    this.done.push(finishReceipt(this.items, kind));
    this.items = [];
  }

  private warn(kind: DecoderWarningKind, p: number, n: number, message: string): void {
    const w: DecoderWarning = { kind, offset: this.base + p, bytes: [...this.buf.slice(p, p + Math.min(n, 8))], message };
    this.warnings.push(w);
    this.opts.onWarning?.(w);
  }
}

function finishReceipt(items: DecodedItem[], cut: 'full' | 'partial' | null): DecodedReceipt {
  const lines = items.filter((i): i is DecodedItem & { kind: 'line' } => i.kind === 'line').map((i) => i.line);
  const texts = lines.map((l) => l.text.trimEnd());
  let a = 0;
  let b = texts.length;
  while (a < b && texts[a] === '') a++;
  while (b > a && texts[b - 1] === '') b--;
  return {
    items: [...items],
    lines,
    qrCodes: items.filter((i): i is DecodedItem & { kind: 'qr' } => i.kind === 'qr').map((i) => i.data),
    barcodes: items.filter((i): i is DecodedItem & { kind: 'barcode' } => i.kind === 'barcode').map((i) => ({ symbology: i.symbology, data: i.data })),
    drawerKicks: items.filter((i) => i.kind === 'pulse').length,
    cut,
    text: texts.slice(a, b).join('\n'),
  };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function utf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/** EAN-13 / UPC-A / EAN-8 sent without their check digit print with it: report what is printed. */
function withCheckDigit(data: string, sym: 'ean13' | 'upca' | 'ean8'): string {
  const full = { ean13: 13, upca: 12, ean8: 8 }[sym];
  if (!/^[0-9]+$/.test(data) || data.length !== full - 1) return data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += (data.charCodeAt(data.length - 1 - i) - 48) * (i % 2 === 0 ? 3 : 1);
  return data + String((10 - (sum % 10)) % 10);
}

/** Decodes a whole stream at once. */
export function decodeEscPos(bytes: Uint8Array): { receipts: DecodedReceipt[]; warnings: DecoderWarning[] } {
  const d = new EscPosDecoder();
  d.push(bytes);
  d.end();
  return { receipts: d.receipts(), warnings: [...d.warnings] };
}
