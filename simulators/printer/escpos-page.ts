import * as iconv from 'iconv-lite';
import { finishReceipt, type DecodedAlign, type DecodedItem, type DecodedReceipt, type DecoderWarning, type DecoderWarningKind } from './escpos-receipt';

/**
 * The paper side of the ESC/POS decoder: the print mode in force, text collected into lines (decoded per code
 * page, or GB18030 in Chinese mode), symbols and cuts placed in order, receipts ended by a cut. The command parser
 * (`escpos-decoder.ts`, `escpos-symbols.ts`) drives it; the stream bytes it keeps are the parser's input buffer.
 */

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

export interface Style {
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

/** A step's answer when the command at the read position is not complete yet. */
export const NEED_MORE = -1;

export const DEFAULT_STYLE: Style = { bold: false, underline: false, width: 1, height: 1, align: 'left', page: 0, chinese: false };

/** The paper and its print mode; the parser subclasses feed it. */
export abstract class EscPosPage {
  readonly warnings: DecoderWarning[] = [];
  protected buf = new Uint8Array(0);
  /** Stream offset of buf[0]. */
  protected base = 0;
  protected style: Style = { ...DEFAULT_STYLE };
  protected segments: Segment[] = [];
  protected lineAlign: DecodedAlign = 'left';
  protected done: DecodedReceipt[] = [];
  protected items: DecodedItem[] = [];
  private readonly warnedPages = new Set<number>();

  constructor(private readonly opts: { onWarning?: (w: DecoderWarning) => void } = {}) {}
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

  protected has(p: number, n: number): boolean {
    return p + n <= this.buf.length;
  }

  protected u16(p: number): number {
    return this.buf[p] | (this.buf[p + 1] << 8);
  }

  // ---- text ----

  protected text(b: number): void {
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
  protected endLine(blank: boolean): void {
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
  protected flushPending(): void {
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

  protected cut(kind: 'full' | 'partial'): void {
    this.flushPending();
    this.done.push(finishReceipt(this.items, kind));
    this.items = [];
  }

  protected warn(kind: DecoderWarningKind, p: number, n: number, message: string): void {
    const w: DecoderWarning = { kind, offset: this.base + p, bytes: [...this.buf.slice(p, p + Math.min(n, 8))], message };
    this.warnings.push(w);
    this.opts.onWarning?.(w);
  }
}
