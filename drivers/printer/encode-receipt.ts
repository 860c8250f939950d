import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import type { PrintJob, ReceiptBlock } from '../contract/printer';
import { assert } from '../../kernel/errors';
import { hasValidCheckDigit } from '../../kernel/gs1-check-digit';
import { FS_CHINESE_OFF, FS_CHINESE_ON, encodeGb18030 } from './gb18030';
import { type Codepage, type Glyph, glyphs, widthOf, wrap } from './receipt-text';

export type ReceiptColumns = 32 | 42 | 48;

export interface EncodeOptions {
  /** Characters per line in the normal font: 48 (80 mm, 12×24 font), 42 (80 mm on older heads), 32 (58 mm). */
  columns: ReceiptColumns;
  /** Print CJK text as GB18030 in Chinese mode (FS & … FS .). Off: CJK prints as `?`. */
  cjk: boolean;
  /** Blank lines fed before the cut so the last line clears the cutter, default 4. */
  feedBeforeCut?: number;
  /** Default 'full'. */
  cutType?: 'full' | 'partial';
}

/** QR payload limit: version 40, error level M, byte mode. */
export const QR_MAX_BYTES = 2331;

const QR_MODEL_2 = [0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00];
const QR_SIZE_6 = [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06];
const QR_LEVEL_M = [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31];
const QR_PRINT = [0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30];
const ESC_ALIGN = (n: 0 | 1 | 2) => [0x1b, 0x61, n];

/**
 * A print job as one ESC/POS byte stream: ESC @, the blocks, the drawer kick (if asked), the cut (unless
 * `cut: false`). The command stream comes from `@point-of-sale/receipt-printer-encoder`; this function does the
 * layout (wrapping, alignment, two-column lines, CJK counted double width) and sends CJK runs as raw GB18030.
 *
 * Invalid content is a caller bug and fails an assertion before anything is produced: a barcode the symbology
 * cannot carry (CODE128: printable ASCII, at most 253 characters; EAN-13: 12 digits, or 13 with a valid check
 * digit), an empty QR payload, one over `QR_MAX_BYTES`, or one containing DLE (0x10) — the printer would take
 * `DLE EOT n` inside the data for a real-time command.
 */
export function encodeReceipt(job: PrintJob, opts: EncodeOptions): Uint8Array {
  assert([32, 42, 48].includes(opts.columns), `columns must be 32, 42 or 48, got ${opts.columns}`);
  const enc = new ReceiptPrinterEncoder({
    columns: opts.columns,
    language: 'esc-pos',
    newline: '\n',
    codepageMapping: 'epson',
    feedBeforeCut: opts.feedBeforeCut ?? 4,
  });
  const w = new LineWriter(enc);
  enc.initialize();
  for (const block of job.blocks) writeBlock(w, block, opts);
  if (job.openDrawer) enc.pulse(0, 100, 500);
  if (job.cut !== false) enc.cut(opts.cutType ?? 'full');
  const out = enc.encode();
  assertNoRealtimePattern(out);
  return out;
}

function writeBlock(w: LineWriter, block: ReceiptBlock, opts: EncodeOptions): void {
  const { enc } = w;
  const columns = opts.columns;
  switch (block.kind) {
    case 'text': {
      const size = block.size === 2 ? 2 : 1;
      const width = Math.floor(columns / size);
      if (block.bold) enc.bold(true);
      if (size === 2) enc.size(2, 2);
      for (const line of wrap(block.text, width, opts.cjk)) w.line(align(line, width, block.align ?? 'left'));
      if (size === 2) enc.size(1, 1);
      if (block.bold) enc.bold(false);
      return;
    }
    case 'line': {
      for (const line of twoColumns(block.left, block.right, columns, opts.cjk)) w.line(line);
      return;
    }
    case 'rule':
      enc.rule({ style: 'single' });
      return;
    case 'qr': {
      const data = block.data;
      assert(typeof data === 'string' && data.length > 0, 'QR payload must not be empty');
      assert(!data.includes('\u0010'), 'QR payload must not contain DLE (0x10): the printer would read DLE EOT in it as a real-time command');
      if ([...data].every((ch) => ch.charCodeAt(0) < 0x80)) {
        assert(data.length <= QR_MAX_BYTES, `QR payload too long (${data.length} > ${QR_MAX_BYTES} bytes)`);
        enc.align('center').qrcode(data, { model: 2, size: 6, errorlevel: 'm' }).align('left');
      } else {
        // the library sends QR data as ISO 8859-1 (anything else becomes '?'); send UTF-8, which scanners detect
        const bytes = Buffer.from(data, 'utf8');
        assert(bytes.length <= QR_MAX_BYTES, `QR payload too long (${bytes.length} > ${QR_MAX_BYTES} bytes)`);
        const len = bytes.length + 3;
        enc.raw([...ESC_ALIGN(1), ...QR_MODEL_2, ...QR_SIZE_6, ...QR_LEVEL_M, 0x1d, 0x28, 0x6b, len & 0xff, len >> 8, 0x31, 0x50, 0x30, ...bytes, ...QR_PRINT]);
        enc.newline();
        enc.raw(ESC_ALIGN(0));
      }
      return;
    }
    case 'barcode': {
      const opt = { height: 60, width: 2, text: 'below' as const };
      if (block.symbology === 'code128') {
        assert(/^[\x20-\x7e]+$/.test(block.data), `CODE128 data must be printable ASCII, got ${JSON.stringify(block.data)}`);
        // code set B; '{' is the function-character escape of ESC/POS CODE128 and is sent doubled
        const value = `{B${block.data.replace(/\{/g, '{{')}`;
        assert(value.length <= 255, `CODE128 data too long (${block.data.length} characters)`);
        enc.align('center').barcode(value, 'code128', opt).align('left');
      } else if (block.symbology === 'ean13') {
        const d = block.data;
        assert(/^[0-9]{12}$/.test(d) || (/^[0-9]{13}$/.test(d) && hasValidCheckDigit(d)), `EAN-13 needs 12 digits or 13 with a valid check digit, got ${JSON.stringify(d)}`);
        // 12 digits: the printer computes and prints the check digit
        enc.align('center').barcode(d.slice(0, 12), 'ean13', opt).align('left');
      } else {
        assert(false, `unknown barcode symbology ${String((block as { symbology: unknown }).symbology)}`);
      }
      return;
    }
    case 'feed': {
      const n = Math.max(0, Math.min(255, Math.floor(block.lines)));
      if (n > 0) enc.newline(n);
      return;
    }
    default:
      assert(false, `unknown receipt block ${JSON.stringify(block)}`);
  }
}

const SPACE: Glyph = { ch: ' ', route: 'cp', width: 1, pages: [] };
const spaces = (n: number): Glyph[] => Array.from({ length: Math.max(0, n) }, () => SPACE);

function align(line: Glyph[], width: number, how: 'left' | 'center' | 'right'): Glyph[] {
  const free = width - widthOf(line);
  if (how === 'center') return [...spaces(Math.floor(free / 2)), ...line];
  if (how === 'right') return [...spaces(free), ...line];
  return line;
}

/**
 * `left ……… right` on one line when both fit with at least one space between; otherwise `left` wraps and `right`
 * goes right-aligned on the last line of it, or on a line of its own.
 */
export function twoColumns(left: string, right: string, width: number, cjk: boolean): Glyph[][] {
  const r = glyphs(right.replace(/\s+/g, ' ').trim(), cjk);
  const rw = widthOf(r);
  const lefts = wrap(left.replace(/\n/g, ' '), width, cjk);
  const last = lefts[lefts.length - 1];
  if (rw === 0) return lefts;
  if (widthOf(last) + 1 + rw <= width) {
    lefts[lefts.length - 1] = [...last, ...spaces(width - widthOf(last) - rw), ...r];
    return lefts;
  }
  const rights = rw <= width ? [r] : wrap(right, width, cjk);
  return [...lefts, ...rights.map((l) => align(l, width, 'right'))];
}

/** Sends laid-out lines: single-byte runs through the encoder's text() in a code page that has them, CJK runs raw. */
class LineWriter {
  private page: Codepage = 'cp437';
  constructor(readonly enc: ReceiptPrinterEncoder) {}

  line(line: readonly Glyph[]): void {
    let i = 0;
    while (i < line.length) {
      const g = line[i];
      if (g.route === 'gb') {
        let j = i;
        while (j < line.length && line[j].route === 'gb') j++;
        const text = line.slice(i, j).map((x) => x.ch).join('');
        this.enc.raw([...FS_CHINESE_ON, ...encodeGb18030(text), ...FS_CHINESE_OFF]);
        i = j;
        continue;
      }
      // a run of single-byte glyphs that one code page can print, preferring the current page
      const page = this.pickPage(line, i);
      let j = i;
      while (j < line.length && line[j].route === 'cp' && printable(line[j], page)) j++;
      if (page !== this.page) {
        this.enc.codepage(page);
        this.page = page;
      }
      this.enc.text(line.slice(i, j).map((x) => x.ch).join(''));
      i = j;
    }
    this.enc.newline();
  }

  /** The page that prints the longest run starting at `from`; the current page wins ties. */
  private pickPage(line: readonly Glyph[], from: number): Codepage {
    const first = line[from];
    if (first.route !== 'cp') return this.page;
    const candidates = [this.page, ...(first.pages.length ? first.pages : [this.page])].filter((p) => printable(first, p));
    let best = candidates[0] ?? this.page;
    let bestLen = -1;
    for (const p of candidates) {
      let j = from;
      while (j < line.length && line[j].route === 'cp' && printable(line[j], p)) j++;
      if (j - from > bestLen) {
        best = p;
        bestLen = j - from;
      }
    }
    return best;
  }
}

function printable(g: Glyph, page: Codepage): boolean {
  if (g.route !== 'cp') return false;
  // spaces and ASCII are in every page (SPACE carries no list)
  return g.pages.length === 0 || g.pages.includes(page);
}

/**
 * True when `DLE x n` at `i` is a real-time command a printer executes on reception, wherever it appears:
 * DLE EOT n (n = 1–4, 7, 8), DLE ENQ n (n = 1, 2), DLE DC4 fn (fn = 1–8).
 */
export function isRealtimeCommandAt(bytes: Uint8Array, i: number): boolean {
  if (bytes[i] !== 0x10 || i + 2 >= bytes.length) return false;
  const x = bytes[i + 1];
  const n = bytes[i + 2];
  if (x === 0x04) return (n >= 1 && n <= 4) || n === 7 || n === 8;
  if (x === 0x05) return n === 1 || n === 2;
  if (x === 0x14) return n >= 1 && n <= 8;
  return false;
}

function assertNoRealtimePattern(bytes: Uint8Array): void {
  for (let i = 0; i + 2 < bytes.length; i++) {
    assert(!isRealtimeCommandAt(bytes, i), `encoded job contains a real-time command pattern at byte ${i}`);
  }
}
