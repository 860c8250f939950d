import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import * as iconv from 'iconv-lite';
import { isWide } from './gb18030';

/**
 * Text layout for a fixed-column receipt: which bytes each character travels as, how wide it prints, and how a
 * paragraph wraps. The encoder library wraps and aligns by itself, but it counts raw bytes (our GB18030 runs) as
 * zero columns, so layout is done here and the encoder only ever receives lines that already fit.
 */

/**
 * Single-byte code pages text may use, in order of preference, with their ESC t numbers on Epson-compatible
 * printers (the encoder's "epson" mapping). The set is the one almost every ESC/POS clone also has.
 */
export const CODEPAGES = ['cp437', 'windows1252', 'cp858', 'cp850', 'cp852', 'cp866', 'cp737', 'cp860', 'cp863', 'cp865'] as const;
export type Codepage = (typeof CODEPAGES)[number];

/** How one character goes to the printer. */
export type Glyph =
  /** A single-byte character, printable in any of `pages` (ASCII: in all of them). */
  | { ch: string; route: 'cp'; width: 1; pages: readonly Codepage[] }
  /** A GB18030 character, sent in Chinese mode; prints double width. */
  | { ch: string; route: 'gb'; width: 2 };

const probeCache = new Map<string, boolean>();

/**
 * True when the encoder library prints `ch` in `page` as one printable byte that the page really maps back to
 * `ch`. (The library's DOS code pages map e.g. `§` to 0x15 — a control byte the printer does not print — so its
 * own choice cannot be trusted blindly.)
 */
function encodableIn(ch: string, page: Codepage): boolean {
  const key = `${page}\u0000${ch}`;
  let ok = probeCache.get(key);
  if (ok === undefined) {
    const out = new ReceiptPrinterEncoder({ columns: 42, newline: '\n', codepageMapping: 'epson' }).codepage(page).text(ch).encode();
    // ESC t n, the character, LF
    const bytes = out.subarray(3, out.length - 1);
    ok = bytes.length === 1 && bytes[0] >= 0x20 && bytes[0] !== 0x7f && iconv.decode(Buffer.from(bytes), page) === ch;
    probeCache.set(key, ok);
  }
  return ok;
}

const ALL_PAGES: readonly Codepage[] = CODEPAGES;
const glyphCache = new Map<string, Glyph>();

/**
 * Classifies one character (a code point). In CJK mode, wide characters and anything no single-byte code page
 * has go as GB18030 (which encodes all of Unicode); otherwise those print as `?`.
 */
export function glyphOf(ch: string, cjk: boolean): Glyph {
  const key = `${cjk ? 1 : 0}${ch}`;
  let g = glyphCache.get(key);
  if (g) return g;
  const cp = ch.codePointAt(0) ?? 0x3f;
  if (cp >= 0x20 && cp < 0x7f) g = { ch, route: 'cp', width: 1, pages: ALL_PAGES };
  else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff)) g = { ch: '?', route: 'cp', width: 1, pages: ALL_PAGES };
  else if (cjk && isWide(cp)) g = { ch, route: 'gb', width: 2 };
  else {
    const pages = CODEPAGES.filter((p) => encodableIn(ch, p));
    if (pages.length > 0) g = { ch, route: 'cp', width: 1, pages };
    else if (cjk) g = { ch, route: 'gb', width: 2 };
    else g = { ch: '?', route: 'cp', width: 1, pages: ALL_PAGES };
  }
  glyphCache.set(key, g);
  return g;
}

/** NFC, CR LF / CR → LF, tab → space. Newlines are kept (they split lines); `glyphOf` turns other controls into `?`. */
export function sanitize(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ');
}

export function glyphs(text: string, cjk: boolean): Glyph[] {
  return [...text].map((ch) => glyphOf(ch, cjk));
}

export function widthOf(gs: readonly Glyph[]): number {
  let w = 0;
  for (const g of gs) w += g.width;
  return w;
}

/** Printed width of `text` in columns (CJK double width), as the layout counts it. */
export function displayWidth(text: string, cjk = true): number {
  return widthOf(glyphs(sanitize(text).replace(/\n/g, ''), cjk));
}

const isSpace = (g: Glyph) => g.ch === ' ';

function trimEnd(line: Glyph[]): Glyph[] {
  let end = line.length;
  while (end > 0 && isSpace(line[end - 1])) end--;
  return line.slice(0, end);
}

/**
 * Greedy word wrap to `width` columns: breaks at spaces (the space at a break is dropped), breaks a word longer
 * than a line anywhere (CJK text has no spaces), never splits a double-width character across lines, keeps
 * leading indentation of a paragraph. Every returned line is at most `width` columns wide.
 */
export function wrap(text: string, width: number, cjk: boolean): Glyph[][] {
  const out: Glyph[][] = [];
  for (const para of sanitize(text).split('\n')) {
    const start = out.length;
    const gs = glyphs(para, cjk);
    // tokens: runs of spaces and runs of non-spaces
    const tokens: Glyph[][] = [];
    for (const g of gs) {
      const last = tokens[tokens.length - 1];
      if (last && isSpace(last[0]) === isSpace(g)) last.push(g);
      else tokens.push([g]);
    }
    let line: Glyph[] = [];
    let w = 0;
    const pushLine = () => {
      out.push(trimEnd(line));
      line = [];
      w = 0;
    };
    for (const tok of tokens) {
      const tw = widthOf(tok);
      if (w + tw <= width) {
        line.push(...tok);
        w += tw;
        continue;
      }
      if (isSpace(tok[0])) {
        // spaces at a break are dropped
        if (line.length > 0) pushLine();
        continue;
      }
      if (w > 0 && tw <= width) {
        pushLine();
        line.push(...tok);
        w = tw;
        continue;
      }
      // a word longer than a whole line: on a line of its own, broken character by character
      if (w > 0) pushLine();
      for (const g of tok) {
        if (w + g.width > width) pushLine();
        line.push(g);
        w += g.width;
      }
    }
    if (line.length > 0 || out.length === start) out.push(trimEnd(line));
  }
  return out;
}
